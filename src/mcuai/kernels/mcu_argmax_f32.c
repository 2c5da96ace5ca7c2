/*
 * mcu_argmax_f32 - index of the largest float value along an axis (ARG_MAX).
 *
 * Math: out[o, i] = first index of the maximum of in[o, :, i], written as int32 or int64.
 * Rule: TFLite reference_ops::ArgMinMax with its NaN-aware float comparator (LiteRT 2.x): a
 *   NaN candidate never replaces the current value, a non-NaN candidate replaces a NaN current
 *   value, otherwise only a strictly greater one does (first index on ties, -0.0 == +0.0);
 *   all-NaN gives 0. NaN is tested as v != v (no fast-math).
 * Overflow: none (comparisons only).
 */
#include "mcu_argmax_f32.h"

void mcu_argmax_f32(const mcu_argmax_params *p, const float *in, void *out)
{
    const size_t inner = (size_t)p->inner;
    int32_t o, i, k;

    for (o = 0; o < p->outer; ++o) {
        const float *base = in + (size_t)o * (size_t)p->axis * inner;
        for (i = 0; i < p->inner; ++i) {
            float best = base[i];
            int32_t arg = 0;
            const size_t j = (size_t)o * inner + (size_t)i;
            for (k = 1; k < p->axis; ++k) {
                const float v = base[(size_t)k * inner + (size_t)i];
                if (v == v && (best != best || v > best)) {
                    best = v;
                    arg = k;
                }
            }
            if (p->out_size == 8) {
                ((int64_t *)out)[j] = arg;
            } else {
                ((int32_t *)out)[j] = arg;
            }
        }
    }
}
