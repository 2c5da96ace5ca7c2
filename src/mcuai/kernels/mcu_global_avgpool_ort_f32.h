#ifndef MCU_GLOBAL_AVGPOOL_ORT_F32_H
#define MCU_GLOBAL_AVGPOOL_ORT_F32_H
#include "mcu_nn.h"
/* Float GlobalAveragePool in ONNX Runtime's order (MLAS's global pooling kernel, or its NCHWc
 * form when nchwc = 1). channels_last = 1: in is NHWC [n, hw, c]; 0: NCHW [n, c, hw].
 * out: [n, c]. */
void mcu_global_avgpool_ort_f32(int32_t nchwc, int32_t channels_last, int32_t n, int32_t hw,
                                int32_t c, const float *in, float *out);
#endif
