/*
 * mcu_div_ort_f32 - float32 element-wise Div with broadcasting, as ONNX Runtime computes it
 * (Eigen's a / b: one IEEE division per element, round to nearest; no reciprocal).
 * The output walks the collapsed broadcast shape of mcu_binary_bcast.h.
 * No integer arithmetic. In place: out may be a (or b) when that operand is not broadcast.
 */
#include "mcu_div_ort_f32.h"

static void div_row(const void *params, const void *a, int32_t a_step, const void *b,
                    int32_t b_step, void *out, int32_t n)
{
    const float *pa = (const float *)a;
    const float *pb = (const float *)b;
    float *po = (float *)out;
    int32_t i;
    (void)params;
    for (i = 0; i < n; ++i) {
        po[i] = pa[(size_t)i * (size_t)a_step] / pb[(size_t)i * (size_t)b_step];
    }
}

void mcu_div_ort_f32(const mcu_bcast *bc, const float *a, const float *b, float *out)
{
    mcu_binary_bcast(NULL, bc, sizeof(float), a, b, out, div_row);
}
