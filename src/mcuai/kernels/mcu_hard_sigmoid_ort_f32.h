#ifndef MCU_HARD_SIGMOID_ORT_F32_H
#define MCU_HARD_SIGMOID_ORT_F32_H
#include "mcu_nn.h"
/* Float HardSigmoid (swish = 0) or HardSwish (swish = 1, alpha = 1/6, beta = 0.5) as ONNX
 * Runtime computes them; in == out allowed. */
void mcu_hard_sigmoid_ort_f32(int32_t size, float alpha, float beta, int32_t swish,
                              const float *in, float *out);
#endif
