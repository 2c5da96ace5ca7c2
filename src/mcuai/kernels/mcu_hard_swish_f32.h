#ifndef MCU_HARD_SWISH_F32_H
#define MCU_HARD_SWISH_F32_H
#include "mcu_clamp_f32.h"
void mcu_hard_swish_f32(int32_t size, const float *in, float *out);
#endif
