#ifndef MCU_ADD_S16_H
#define MCU_ADD_S16_H
#include "mcu_binary_bcast.h"
void mcu_add_s16(const mcu_add_params *p, const mcu_bcast *bc, const int16_t *in1,
                 const int16_t *in2, int16_t *out);
#endif
