/*
 * mcu_gelu_ort_f32 - float32 Gelu with ONNX Runtime's arithmetic (onnxruntime/core/providers/
 * cpu/tensor/gelu.cc: a first pass into the output, MLAS's vector function in place, a last
 * pass; each operation rounded to float32, no FMA outside MLAS):
 *   approximate = 0 ("none"): t = x * f32(M_SQRT1_2); t = MlasComputeErf(t) (mcu_erf_ort_f32)
 *   approximate = 1 ("tanh"): t = x * ((C * x) * x + B), C = 0.035677408136300125f,
 *                             B = 0.7978845608028654f; t = MlasComputeTanh(t) (mcu_tanh_ort_f32)
 *   y = (0.5f * x) * (t + 1.0f)
 * No integer arithmetic. Not in place (x is read again after the middle pass).
 */
#include "mcu_gelu_ort_f32.h"

#include "mcu_erf_ort_f32.h"
#include "mcu_tanh_ort_f32.h"

void mcu_gelu_ort_f32(int32_t size, int32_t approximate, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = in[i];
        if (approximate) {
            float t = 0.035677408136300125f * x;
            t = t * x;
            t = t + 0.7978845608028654f;
            out[i] = x * t;
        } else {
            out[i] = x * 0.70710678118654752440f;
        }
    }
    if (approximate) {
        mcu_tanh_ort_f32(size, out, out);
    } else {
        mcu_erf_ort_f32(size, out, out);
    }
    for (i = 0; i < size; ++i) {
        const float h = 0.5f * in[i];
        out[i] = h * (out[i] + 1.0f);
    }
}
