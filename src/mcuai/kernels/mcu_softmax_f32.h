#ifndef MCU_SOFTMAX_F32_H
#define MCU_SOFTMAX_F32_H
#include "mcu_clamp_f32.h"
void mcu_softmax_f32(float beta, const mcu_dims *dims, const float *in, float *out);
#endif
