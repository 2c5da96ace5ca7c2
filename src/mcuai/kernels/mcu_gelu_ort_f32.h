#ifndef MCU_GELU_ORT_F32_H
#define MCU_GELU_ORT_F32_H
#include "mcu_nn.h"
/* Float Gelu (ONNX opset 20) as ONNX Runtime computes it; approximate = 1: the tanh form.
 * Not in place: out must not overlap in. */
void mcu_gelu_ort_f32(int32_t size, int32_t approximate, const float *in, float *out);
#endif
