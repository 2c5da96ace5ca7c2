#ifndef MCU_MUL_S8_H
#define MCU_MUL_S8_H
#include "mcu_binary_bcast.h"
void mcu_mul_s8(const mcu_mul_params *p, const mcu_bcast *bc, const int8_t *in1,
                const int8_t *in2, int8_t *out);
#endif
