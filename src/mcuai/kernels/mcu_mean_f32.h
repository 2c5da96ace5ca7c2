#ifndef MCU_MEAN_F32_H
#define MCU_MEAN_F32_H
#include "mcu_clamp_f32.h"
void mcu_mean_f32(const mcu_dims *in_dims, const float *in,
                  const mcu_dims *out_dims, float *out);
#endif
