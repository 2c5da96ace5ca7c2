#ifndef MCU_AVGPOOL2D_ORT_F32_H
#define MCU_AVGPOOL2D_ORT_F32_H
#include "mcu_clamp_f32.h"
/* Float AveragePool (in-image taps counted) with ONNX Runtime's summation order; nchwc = 1:
 * ORT's NCHWc pooling (channels a multiple of 16), 0: MLAS's vector pooling kernel. */
void mcu_avgpool2d_ort_f32(const mcu_pool_params_f32 *p, int32_t nchwc,
                           const mcu_dims *in_dims, const float *in,
                           const mcu_dims *out_dims, float *out);
#endif
