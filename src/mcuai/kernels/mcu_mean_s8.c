/*
 * mcu_mean_s8 - int8 MEAN over any set of axes (REDUCE_MEAN), keep_dims or not (the layout is
 * the same).
 *
 * Math: real = s * (q - zp). Rule (TFLite reference_ops::QuantizedMeanOrSum<int8_t, int32_t>,
 * the path LiteRT's reference MEAN takes for every int8 case):
 *   sum  = wrapping int32 sum of the raw q over the N reduced elements,
 *   acc  = (int32)(sum - zp_in * N)                         (wrapping),
 *   out  = clamp(MultiplyByQuantizedMultiplier(acc, m', shift') + zp_out, -128, 127)
 *   where (m, shift) = QuantizeMultiplier((double)s_in / (double)s_out) and, with
 *   k = min(floor(log2 N), 32, 31 + shift): m' = (int64)(m << k) / N, shift' = shift - k
 *   (computed at generation time). No fused activation.
 * Overflow: the sum wraps modulo 2^32 exactly as the reference's WrappingAdd (computed in
 *   uint32_t; converting back to int32_t is implementation-defined in C99 and wraps on every
 *   compiler mcuai supports); no overflow for N < 2^24.
 */
#include "mcu_mean_s8.h"

void mcu_mean_s8(const mcu_mean_quant *q, const mcu_reduce_walk *w, const int8_t *in,
                 int8_t *out)
{
    int32_t i0, i1, i2, j0, j1, j2;

    for (i0 = 0; i0 < w->k0; ++i0) {
        for (i1 = 0; i1 < w->k1; ++i1) {
            for (i2 = 0; i2 < w->k2; ++i2) {
                const int8_t *base = in + (size_t)i0 * (size_t)w->ks0 +
                                      (size_t)i1 * (size_t)w->ks1 + (size_t)i2 * (size_t)w->ks2;
                uint32_t sum = (uint32_t)q->sum_offset;
                int32_t acc;
                for (j0 = 0; j0 < w->r0; ++j0) {
                    for (j1 = 0; j1 < w->r1; ++j1) {
                        const int8_t *row =
                            base + (size_t)j0 * (size_t)w->rs0 + (size_t)j1 * (size_t)w->rs1;
                        for (j2 = 0; j2 < w->r2; ++j2) {
                            sum += (uint32_t)(int32_t)row[(size_t)j2 * (size_t)w->rs2];
                        }
                    }
                }
                acc = mcu_requantize((int32_t)sum, q->multiplier, q->shift) + q->output_offset;
                *out++ = (int8_t)mcu_clamp(acc, -128, 127);
            }
        }
    }
}
