/*
 * mcu_argmax_s8 - index of the largest int8 value along an axis (ARG_MAX).
 *
 * Math: out[o, i] = the smallest k with in[o, k, i] = max_k' in[o, k', i] (first index on
 *   ties), written as int32 or int64. Rule: TFLite reference_ops::ArgMinMax with
 *   std::greater (a later element replaces the current one only when strictly greater); it
 *   compares stored values, so the quantization parameters do not matter (positive scale).
 * Overflow: none (comparisons only).
 */
#include "mcu_argmax_s8.h"

void mcu_argmax_s8(const mcu_argmax_params *p, const int8_t *in, void *out)
{
    const size_t inner = (size_t)p->inner;
    int32_t o, i, k;

    for (o = 0; o < p->outer; ++o) {
        const int8_t *base = in + (size_t)o * (size_t)p->axis * inner;
        for (i = 0; i < p->inner; ++i) {
            int8_t best = base[i];
            int32_t arg = 0;
            const size_t j = (size_t)o * inner + (size_t)i;
            for (k = 1; k < p->axis; ++k) {
                const int8_t v = base[(size_t)k * inner + (size_t)i];
                if (v > best) {
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
