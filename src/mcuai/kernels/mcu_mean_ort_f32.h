#ifndef MCU_MEAN_ORT_F32_H
#define MCU_MEAN_ORT_F32_H
#include "mcu_nn.h"
/* Float ReduceMean over H, W (ONNX axes 2, 3 of NCHW) in ONNX Runtime's order.
 * channels_last = 1: in is NHWC [n, hw, c]; 0: NCHW [n, c, hw]. out: [n, c]. */
void mcu_mean_ort_f32(int32_t channels_last, int32_t n, int32_t hw, int32_t c, const float *in,
                      float *out);
#endif
