#ifndef MCU_LOGISTIC_ORT_F32_H
#define MCU_LOGISTIC_ORT_F32_H
#include "mcu_nn.h"
/* Float sigmoid as ONNX Runtime's MLAS computes it; in == out allowed. */
void mcu_logistic_ort_f32(int32_t size, const float *in, float *out);
#endif
