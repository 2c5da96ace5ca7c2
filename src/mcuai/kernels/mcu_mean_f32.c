/*
 * mcu_mean_f32 - float32 mean over any set of axes. The code generator merges adjacent axes so
 * that the input has rank <= 4; out_dims is the input's shape with every reduced axis set to 1
 * (the output's data order is the same with or without keep_dims).
 *
 * Rule: out[j] = (sum of the inputs that reduce to j, added in the input's row-major order,
 * float32 from 0.0f) / (float)count, count = size(in) / size(out). This is TFLite's
 * reference_ops::Mean for 4-D inputs reduced over H and W with keep_dims (the path LiteRT's
 * BUILTIN_REF takes there: bit-exact); other axis sets run optimized_ops::MeanGeneral in
 * LiteRT, whose summation order may differ (a few ulp). The output must not overlap the input
 * (it is the accumulator).
 */
#include "mcu_mean_f32.h"

void mcu_mean_f32(const mcu_dims *in_dims, const float *in,
                  const mcu_dims *out_dims, float *out)
{
    const int32_t on = out_dims->n, oh = out_dims->h, ow = out_dims->w, oc = out_dims->c;
    const size_t out_size = (size_t)on * oh * ow * oc;
    const size_t in_size = (size_t)in_dims->n * in_dims->h * in_dims->w * in_dims->c;
    const float count = (float)(out_size > 0 ? in_size / out_size : 1);
    int32_t n, h, w, c;
    size_t i;

    for (i = 0; i < out_size; ++i) {
        out[i] = 0.0f;
    }
    for (n = 0; n < in_dims->n; ++n) {
        const size_t on_i = on == 1 ? 0 : (size_t)n;
        for (h = 0; h < in_dims->h; ++h) {
            const size_t oh_i = on_i * oh + (oh == 1 ? 0 : (size_t)h);
            for (w = 0; w < in_dims->w; ++w) {
                float *po = out + (oh_i * ow + (ow == 1 ? 0 : (size_t)w)) * oc;
                if (oc == 1) {
                    for (c = 0; c < in_dims->c; ++c) {
                        po[0] += *in++;
                    }
                } else {
                    for (c = 0; c < oc; ++c) {
                        po[c] += *in++;
                    }
                }
            }
        }
    }
    for (i = 0; i < out_size; ++i) {
        out[i] = out[i] / count;
    }
}
