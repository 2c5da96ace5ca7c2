#ifndef MCU_ERF_ORT_F32_H
#define MCU_ERF_ORT_F32_H
#include "mcu_nn.h"
/* Float error function as ONNX Runtime's MLAS computes it; in == out allowed. */
void mcu_erf_ort_f32(int32_t size, const float *in, float *out);
#endif
