/*
 * mcu_tconv2d_f32 - float32 transpose convolution (deconvolution), NHWC input, filter
 * [Cout, Kh, Kw, Cin]; p->padding = (top, left) derived by TFLite from the output size.
 *
 * Rule (TFLite reference_ops::TransposeConv, float), a scatter in the reference's order:
 *   out = 0; for b, iy, ix, ci, ky, kx, o (this nesting):
 *     (y, x) = (iy*stride_h - pad_top + ky, ix*stride_w - pad_left + kx);
 *     if inside the output: out[b, y, x, o] += in[b, iy, ix, ci] * w[o, ky, kx, ci];
 *   then out[.., o] = clamp(out[.., o] + bias[o], act.min, act.max) (no bias: no addition).
 * The output buffer is the accumulator, so each output element sees the reference's sequence
 * of float32 additions (bit-exact with LiteRT BUILTIN_REF barring fused multiply-adds).
 * The output must not overlap the input.
 */
#include "mcu_tconv2d_f32.h"

void mcu_tconv2d_f32(const mcu_conv_params_f32 *p,
                            const mcu_dims *in_dims, const float *in,
                            const mcu_dims *f_dims, const float *filter, const float *bias,
                            const mcu_dims *out_dims, float *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t batches = out_dims->n;
    const size_t out_size = (size_t)batches * out_h * out_w * out_c;
    size_t i;
    int32_t b, iy, ix, ci, ky, kx, o;

    for (i = 0; i < out_size; ++i) {
        out[i] = 0.0f;
    }
    for (b = 0; b < batches; ++b) {
        float *out_b = out + (size_t)b * out_h * out_w * out_c;
        for (iy = 0; iy < in_h; ++iy) {
            const int32_t y0 = iy * p->stride.h - p->padding.h;
            for (ix = 0; ix < in_w; ++ix) {
                const int32_t x0 = ix * p->stride.w - p->padding.w;
                const float *px = in + (((size_t)b * in_h + iy) * in_w + ix) * in_c;
                for (ci = 0; ci < in_c; ++ci) {
                    const float v = px[ci];
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky;
                        if (y < 0 || y >= out_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = x0 + kx;
                            float *po;
                            const float *pw;
                            if (x < 0 || x >= out_w) {
                                continue;
                            }
                            po = out_b + ((size_t)y * out_w + x) * out_c;
                            pw = filter + ((size_t)ky * k_w + kx) * in_c + ci;
                            for (o = 0; o < out_c; ++o) {
                                const float prod = v * pw[(size_t)o * k_h * k_w * in_c];
                                po[o] += prod;
                            }
                        }
                    }
                }
            }
        }
    }
    for (i = 0; i < out_size; ++i) {
        float acc = out[i];
        if (bias != NULL) {
            acc += bias[i % (size_t)out_c];
        }
        out[i] = mcu_clampf(acc, &p->act);
    }
}
