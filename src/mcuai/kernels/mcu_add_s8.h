#ifndef MCU_ADD_S8_H
#define MCU_ADD_S8_H
#include "mcu_binary_bcast.h"
void mcu_add_s8(const mcu_add_params *p, const mcu_bcast *bc, const int8_t *in1,
                const int8_t *in2, int8_t *out);
#endif
