#ifndef MCU_MINIMUM_F32_H
#define MCU_MINIMUM_F32_H
#include "mcu_clamp_f32.h"
void mcu_minimum_f32(const mcu_dims *a_dims, const float *a_data,
                     const mcu_dims *b_dims, const float *b_data,
                     const mcu_dims *out_dims, float *out);
#endif
