/*
 * mcu_softmax_ort_f32 - float32 softmax over the last axis, bit-exact with ONNX Runtime's
 * float Softmax on x86-64 (MlasComputeSoftmax with the FMA3/AVX2 kernels; checked against
 * ORT 1.32 for rows of 2 to 100 elements).
 *
 * Rule, per row (all float32, fmaf = fused multiply-add):
 *   m = max(x);  v = max(x + (-m), -88.3762626647949)
 *   exp(v) as MlasComputeSumExpVector: b = fmaf(v, 1/ln2, 1.5*2^23); n = b - 1.5*2^23;
 *     r = fmaf(n, -6.93145752e-1, v); r = fmaf(n, -1.42860677e-6, r);
 *     p = Horner with fmaf over 0x1.694p-10, 0x1.125edcp-7, 0x1.555b5ap-5, 0x1.55545p-3,
 *         0x1.fffff6p-2, 1, 1;  e = p * 2^n (the float with bits (bits(b) << 23) + 0x3F800000)
 *   sum: two accumulators of 8 lanes, element i into accumulator (i / 8) % 2, lane i % 8, in
 *     order; then acc0 + acc1 per lane; then lanes added in adjacent pairs (0+1, 2+3, ...),
 *     twice more;
 *   out = e * (1.0f / sum).
 * No integer overflow: the exponent bits are built in uint32_t.
 * In place: in == out is allowed (the maximum is taken before the first write, element i is
 *   read before it is written).
 */
#include "mcu_softmax_ort_f32.h"

#include <math.h>

static float mlas_exp_sum_elem(float v)
{
    union {
        float f;
        uint32_t u;
    } b, s;
    float n, r, p;
    v = v > -88.3762626647949f ? v : -88.3762626647949f;
    b.f = fmaf(v, 1.44269504088896341f, 12582912.0f);
    n = b.f - 12582912.0f;
    r = fmaf(n, -6.93145752e-1f, v);
    r = fmaf(n, -1.42860677e-6f, r);
    p = 0x1.694000p-10f;
    p = fmaf(p, r, 0x1.125edcp-7f);
    p = fmaf(p, r, 0x1.555b5ap-5f);
    p = fmaf(p, r, 0x1.555450p-3f);
    p = fmaf(p, r, 0x1.fffff6p-2f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    s.u = (b.u << 23) + 0x3F800000u;
    return p * s.f;
}

void mcu_softmax_ort_f32(int32_t rows, int32_t depth, const float *in, float *out)
{
    int32_t r, i, j;
    for (r = 0; r < rows; ++r) {
        const float *x = in + (size_t)r * depth;
        float *y = out + (size_t)r * depth;
        float acc[2][8] = {{0.0f}};
        float lane[8];
        float m = x[0], neg, sum, inv;
        for (i = 1; i < depth; ++i) {
            m = x[i] > m ? x[i] : m;
        }
        neg = -m;
        for (i = 0; i < depth; ++i) {
            const float e = mlas_exp_sum_elem(x[i] + neg);
            acc[(i / 8) % 2][i % 8] += e;
            y[i] = e;
        }
        for (j = 0; j < 8; ++j) {
            lane[j] = acc[0][j] + acc[1][j];
        }
        for (j = 0; j < 4; ++j) {
            lane[j] = lane[2 * j] + lane[2 * j + 1];
        }
        for (j = 0; j < 2; ++j) {
            lane[j] = lane[2 * j] + lane[2 * j + 1];
        }
        sum = lane[0] + lane[1];
        inv = 1.0f / sum;
        for (i = 0; i < depth; ++i) {
            y[i] = y[i] * inv;
        }
    }
}
