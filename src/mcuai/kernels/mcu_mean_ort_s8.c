/*
 * mcu_mean_ort_s8 - int8 mean over the spatial positions with ONNX Runtime's arithmetic for
 * DequantizeLinear -> ReduceMean(axes = [2, 3] of NCHW) -> QuantizeLinear, which ORT leaves in
 * float (no fused integer kernel): ReduceAggregatorMean::FastReduceKR, i.e. for each of the
 * n * c rows of N = H*W contiguous float values, Eigen's vectorized sum (SSE, 4 lanes) divided
 * by N. Rule (float32 throughout, checked against ORT 1.32 on 3x3 .. 16x16 windows):
 *   v[i] = (float)(q[i] - zp_x) * s_x                       (MLAS dequantize)
 *   row r = n_index * c + channel; the row starts at float index r * N of ORT's 16-byte
 *     aligned buffer, so Eigen first skips a0 = (-(r * N)) mod 4 values (alignment peel);
 *   over v[a0 .. a0 + 4k): two 4-lane accumulators p0 (packets 0, 2, 4, ...) and p1 (1, 3, ..)
 *     when there are at least two packets, p0 += p1, p0 += the odd last packet if any;
 *     s = (p0[0] + p0[2]) + (p0[1] + p0[3])                     (predux)
 *     then s += v[i] for the skipped head i < a0, then for the tail, in index order;
 *   no whole packet: s = v[0] + v[1] + ... in index order;
 *   mean = s / (float)N;  out = saturate(round_half_to_even(mean / s_y) + zp_y)  (QuantizeLinear)
 * The data may be NHWC (the IR's layout after a convolution) or NCHW (ONNX's, kept when
 * no layout change was needed): only the addressing differs.
 * No integer overflow: q - zp is at most 255 in magnitude; the sums are float32.
 */
#include "mcu_mean_ort_s8.h"

static float row_sum(const int8_t *x, int32_t step, int32_t n, int32_t a0, int32_t zp, float s)
{
    int32_t i;
    int32_t k;
    int32_t size1;
    int32_t size2;
    float r;
#define MCU_V(j) ((float)((int32_t)x[(size_t)(j) * (size_t)step] - zp) * s)
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

void mcu_mean_ort_s8(const mcu_mean_ort_params *p, int32_t channels_last, int32_t n,
                     int32_t hw, int32_t c, const int8_t *in, int8_t *out)
{
    int32_t b;
    int32_t ch;
    for (b = 0; b < n; ++b) {
        for (ch = 0; ch < c; ++ch) {
            const int32_t row = b * c + ch;
            const int32_t a0 = (int32_t)((4u - ((uint32_t)row * (uint32_t)hw) % 4u) % 4u);
            const int8_t *x = channels_last
                                  ? in + (size_t)b * (size_t)hw * (size_t)c + (size_t)ch
                                  : in + (size_t)row * (size_t)hw;
            const float s = row_sum(x, channels_last ? c : 1, hw, a0, p->zp_x, p->scale_x);
            const float mean = s / (float)hw;
            out[b * c + ch] = (int8_t)mcu_ort_saturate(mean / p->scale_y, p->zp_y, p->act_min,
                                                       p->act_max);
        }
    }
}
