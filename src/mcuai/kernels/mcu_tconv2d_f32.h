#ifndef MCU_TCONV2D_F32_H
#define MCU_TCONV2D_F32_H
#include "mcu_clamp_f32.h"
void mcu_tconv2d_f32(const mcu_conv_params_f32 *p,
                            const mcu_dims *in_dims, const float *in,
                            const mcu_dims *f_dims, const float *filter, const float *bias,
                            const mcu_dims *out_dims, float *out);
#endif
