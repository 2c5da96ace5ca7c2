/*
 * mcu_hard_sigmoid_ort_f32 - float32 HardSigmoid / HardSwish with ONNX Runtime's arithmetic
 * (CPU kernels, Eigen element-wise expressions without FMA):
 *   h = min(max(x * alpha + beta, 0), 1)      (multiply, then add, each rounded to float32)
 *   HardSigmoid: y = h;  HardSwish (alpha = 1/6 as float32, beta = 0.5): y = x * h
 * NaN inputs give 0 (max with 0 first), as the comparison order below. No integer
 * arithmetic. In place: in == out is allowed.
 */
#include "mcu_hard_sigmoid_ort_f32.h"

void mcu_hard_sigmoid_ort_f32(int32_t size, float alpha, float beta, int32_t swish,
                              const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = in[i];
        float h = x * alpha;
        h = h + beta;
        h = h > 0.0f ? h : 0.0f;
        h = h < 1.0f ? h : 1.0f;
        out[i] = swish ? x * h : h;
    }
}
