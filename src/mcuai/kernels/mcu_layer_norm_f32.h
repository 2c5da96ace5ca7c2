#ifndef MCU_LAYER_NORM_F32_H
#define MCU_LAYER_NORM_F32_H
#include "mcu_nn.h"
/* Float LayerNormalization over the last norm_size elements of each of rows rows; scale and
 * bias (NULL: none) have norm_size values. in == out allowed. */
void mcu_layer_norm_f32(int32_t rows, int32_t norm_size, float epsilon, const float *scale,
                        const float *bias, const float *in, float *out);
#endif
