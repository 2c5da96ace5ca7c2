#ifndef MCU_QUANTIZE_F32_S16_H
#define MCU_QUANTIZE_F32_S16_H
#include "mcu_nn.h"
/* dims = {1, outer, channels, inner}: element i of channel k uses scale[k], zero_point[k]
 * (per-tensor: channels = 1). */
void mcu_quantize_f32_s16(const float *scale, const int32_t *zero_point,
                          const mcu_dims *dims, const float *in, int16_t *out);
#endif
