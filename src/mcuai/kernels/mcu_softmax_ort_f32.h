#ifndef MCU_SOFTMAX_ORT_F32_H
#define MCU_SOFTMAX_ORT_F32_H
#include "mcu_nn.h"
/* Float softmax over the last axis as ONNX Runtime's MLAS computes it; in == out allowed. */
void mcu_softmax_ort_f32(int32_t rows, int32_t depth, const float *in, float *out);
#endif
