#ifndef MCU_MUL_F32_H
#define MCU_MUL_F32_H
#include "mcu_clamp_f32.h"
void mcu_mul_f32(const mcu_act_f32 *act,
                 const mcu_dims *a_dims, const float *a_data,
                 const mcu_dims *b_dims, const float *b_data,
                 const mcu_dims *out_dims, float *out);
#endif
