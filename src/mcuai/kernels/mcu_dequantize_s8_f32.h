#ifndef MCU_DEQUANTIZE_S8_F32_H
#define MCU_DEQUANTIZE_S8_F32_H
#include "mcu_nn.h"
/* dims = {1, outer, channels, inner}: element i of channel k uses scale[k], zero_point[k]
 * (per-tensor: channels = 1). */
void mcu_dequantize_s8_f32(const float *scale, const int32_t *zero_point,
                           const mcu_dims *dims, const int8_t *in, float *out);
#endif
