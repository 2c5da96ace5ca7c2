/*
 * mcu_prelu_f32 - float32 element-wise prelu with numpy broadcasting over rank <= 4 (the code generator
 * merges axes of higher-rank shapes; a dimension of 1 in an operand broadcasts).
 *
 * Rule (TFLite reference_ops::BroadcastPrelu4DSlow / ApplyPrelu (float)):
 *   y = x >= 0 ? x : x * alpha (a = x, b = alpha).
 * Element-wise with one float32 operation, the same as the reference's: bit-exact with
 * LiteRT BUILTIN_REF.
 * The output may be the same buffer as an operand of the output's shape.
 */
#include "mcu_prelu_f32.h"

MCU_INLINE float mcu_prelu_f32_one(float a, float b)
{
    return a >= 0.0f ? a : a * b;
}

void mcu_prelu_f32(const mcu_dims *a_dims, const float *a_data,
                   const mcu_dims *b_dims, const float *b_data,
                   const mcu_dims *out_dims, float *out)
{
    const int32_t on = out_dims->n, oh = out_dims->h, ow = out_dims->w, oc = out_dims->c;
    const size_t a_sc = a_dims->c == 1 ? 0 : 1;
    const size_t a_sw = a_dims->w == 1 ? 0 : (size_t)a_dims->c;
    const size_t a_sh = a_dims->h == 1 ? 0 : (size_t)a_dims->c * a_dims->w;
    const size_t a_sn = a_dims->n == 1 ? 0 : (size_t)a_dims->c * a_dims->w * a_dims->h;
    const size_t b_sc = b_dims->c == 1 ? 0 : 1;
    const size_t b_sw = b_dims->w == 1 ? 0 : (size_t)b_dims->c;
    const size_t b_sh = b_dims->h == 1 ? 0 : (size_t)b_dims->c * b_dims->w;
    const size_t b_sn = b_dims->n == 1 ? 0 : (size_t)b_dims->c * b_dims->w * b_dims->h;
    int32_t n, h, w, c;

    if (a_sc == 1 && b_sc == 1 && a_dims->n == on && a_dims->h == oh && a_dims->w == ow
        && b_dims->n == on && b_dims->h == oh && b_dims->w == ow) {
        const size_t size = (size_t)on * oh * ow * oc;
        size_t i;
        for (i = 0; i < size; ++i) {
            out[i] = mcu_prelu_f32_one(a_data[i], b_data[i]);
        }
        return;
    }
    for (n = 0; n < on; ++n) {
        for (h = 0; h < oh; ++h) {
            for (w = 0; w < ow; ++w) {
                const float *pa = a_data + n * a_sn + h * a_sh + w * a_sw;
                const float *pb = b_data + n * b_sn + h * b_sh + w * b_sw;
                for (c = 0; c < oc; ++c) {
                    *out++ = mcu_prelu_f32_one(pa[c * a_sc], pb[c * b_sc]);
                }
            }
        }
    }
}
