#ifndef MCU_LEAKY_RELU_F32_H
#define MCU_LEAKY_RELU_F32_H
#include "mcu_clamp_f32.h"
void mcu_leaky_relu_f32(float alpha, int32_t size, const float *in, float *out);
#endif
