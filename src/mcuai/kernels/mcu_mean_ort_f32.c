/*
 * mcu_mean_ort_f32 - float32 ReduceMean over the spatial positions in ONNX Runtime's order
 * (ReduceAggregatorMean::FastReduceKR: Eigen's SSE sum of each row of N = H*W values, then a
 * division by N; the rule of mcu_mean_ort_s8.c without the DequantizeLinear/QuantizeLinear):
 *   row r = n_index * c + channel starts at float index r * N of a 16-byte aligned buffer:
 *   skip a0 = (-(r * N)) mod 4 head values; two 4-lane accumulators over whole packets (p0:
 *   packets 0, 2, .., p1: 1, 3, ..; p0 += p1; p0 += an odd last packet); s = (p0[0] + p0[2]) +
 *   (p0[1] + p0[3]); then s += the head, then the tail, in order; fewer than 4 values after
 *   the head: s = v[0] + v[1] + ... in order.  y = s / (float)N.
 * ORT's GlobalAveragePool (also a mean over H, W in the IR) sums with MLAS's pooling kernel
 * instead: mcu_global_avgpool_ort_f32. No integer arithmetic. Not in place.
 */
#include "mcu_mean_ort_f32.h"

static float row_sum(const float *x, int32_t step, int32_t n, int32_t a0)
{
    int32_t i;
    int32_t k;
    int32_t size1;
    int32_t size2;
    float r;
#define MCU_V(j) (x[(size_t)(j) * (size_t)step])
    if (a0 > n) {
        a0 = n;
    }
    size1 = ((n - a0) / 4) * 4;
    size2 = ((n - a0) / 8) * 8;
    if (size1 == 0) {
        r = MCU_V(0);
        for (i = 1; i < n; ++i) {
            r = r + MCU_V(i);
        }
        return r;
    }
    {
        float p0[4];
        float p1[4];
        for (k = 0; k < 4; ++k) {
            p0[k] = MCU_V(a0 + k);
        }
        if (size1 > 4) {
            for (k = 0; k < 4; ++k) {
                p1[k] = MCU_V(a0 + 4 + k);
            }
            for (i = a0 + 8; i < a0 + size2; i += 8) {
                for (k = 0; k < 4; ++k) {
                    p0[k] = p0[k] + MCU_V(i + k);
                    p1[k] = p1[k] + MCU_V(i + 4 + k);
                }
            }
            for (k = 0; k < 4; ++k) {
                p0[k] = p0[k] + p1[k];
            }
            if (size1 > size2) {
                for (k = 0; k < 4; ++k) {
                    p0[k] = p0[k] + MCU_V(a0 + size2 + k);
                }
            }
        }
        r = (p0[0] + p0[2]) + (p0[1] + p0[3]);
    }
    for (i = 0; i < a0; ++i) {
        r = r + MCU_V(i);
    }
    for (i = a0 + size1; i < n; ++i) {
        r = r + MCU_V(i);
    }
#undef MCU_V
    return r;
}

void mcu_mean_ort_f32(int32_t channels_last, int32_t n, int32_t hw, int32_t c, const float *in,
                      float *out)
{
    int32_t b;
    int32_t ch;
    for (b = 0; b < n; ++b) {
        for (ch = 0; ch < c; ++ch) {
            const int32_t row = b * c + ch;
            const int32_t a0 = (int32_t)((4u - ((uint32_t)row * (uint32_t)hw) % 4u) % 4u);
            const float *x = channels_last
                                 ? in + (size_t)b * (size_t)hw * (size_t)c + (size_t)ch
                                 : in + (size_t)row * (size_t)hw;
            out[row] = row_sum(x, channels_last ? c : 1, hw, a0) / (float)hw;
        }
    }
}
