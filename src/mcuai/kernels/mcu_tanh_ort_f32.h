#ifndef MCU_TANH_ORT_F32_H
#define MCU_TANH_ORT_F32_H
#include "mcu_nn.h"
/* Float tanh as ONNX Runtime's MLAS computes it; in == out allowed. */
void mcu_tanh_ort_f32(int32_t size, const float *in, float *out);
#endif
