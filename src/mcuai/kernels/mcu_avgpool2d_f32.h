#ifndef MCU_AVGPOOL2D_F32_H
#define MCU_AVGPOOL2D_F32_H
#include "mcu_clamp_f32.h"
void mcu_avgpool2d_f32(const mcu_pool_params_f32 *p,
                        const mcu_dims *in_dims, const float *in,
                        const mcu_dims *out_dims, float *out);
#endif
