/*
 * mcu_softmax_f32 - float32 softmax over the last axis; dims = {1, 1, rows, depth}.
 *
 * Rule (TFLite reference_ops::Softmax, float), per row:
 *   m = max_c x[c] (from -FLT_MAX);  e[c] = expf((x[c] - m) * beta);  sum = e[0] + e[1] + ...
 *   (float32, in order);  y[c] = e[c] / sum.
 * Same operations and order as the reference; the only difference from LiteRT can come from
 * expf (the host's glibc expf and LiteRT's std::exp agree; newlib's expf may differ by 1 ulp).
 * in == out is allowed (each x[c] is read before y[c] is written).
 */
#include <math.h>

#include "mcu_softmax_f32.h"

void mcu_softmax_f32(float beta, const mcu_dims *dims, const float *in, float *out)
{
    const int32_t rows = dims->n * dims->h * dims->w, depth = dims->c;
    int32_t r, c;

    for (r = 0; r < rows; ++r) {
        const float *x = in + (size_t)r * depth;
        float *y = out + (size_t)r * depth;
        float m = -3.40282347e+38f;
        float sum = 0.0f;
        for (c = 0; c < depth; ++c) {
            m = m < x[c] ? x[c] : m;
        }
        for (c = 0; c < depth; ++c) {
            const float e = expf((x[c] - m) * beta);
            y[c] = e;
            sum += e;
        }
        for (c = 0; c < depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}
