#ifndef MCU_FC_F32_H
#define MCU_FC_F32_H
#include "mcu_clamp_f32.h"
void mcu_fc_f32(const mcu_act_f32 *act,
                const mcu_dims *in_dims, const float *in,
                const mcu_dims *f_dims, const float *weights, const float *bias,
                const mcu_dims *out_dims, float *out);
#endif
