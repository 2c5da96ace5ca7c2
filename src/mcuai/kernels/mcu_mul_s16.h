#ifndef MCU_MUL_S16_H
#define MCU_MUL_S16_H
#include "mcu_binary_bcast.h"
void mcu_mul_s16(const mcu_mul_params *p, const mcu_bcast *bc, const int16_t *in1,
                 const int16_t *in2, int16_t *out);
#endif
