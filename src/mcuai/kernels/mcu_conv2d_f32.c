/*
 * mcu_conv2d_f32 - float32 2-D convolution, NHWC input, OHWI filter, groups and dilation.
 *
 * Rule (TFLite reference_ops::Conv, float):
 *   total[o] = sum over ky, kx (taps inside the image only), then ci, in this order, of
 *              in[y, x, g*Cg + ci] * w[o, ky, kx, ci]   (float32 products and sums from 0.0f),
 *              y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w,
 *              g = o / (Cout/groups), Cg = filter channels = Cin/groups;
 *   out[o]   = clamp(total[o] + bias[o] (0.0f without bias), act.min, act.max).
 * Same summation order as the reference, so the result equals LiteRT's BUILTIN_REF bit for bit
 * when neither side fuses multiply-adds. No integer accumulator (float32 throughout).
 */
#include "mcu_conv2d_f32.h"

void mcu_conv2d_f32(const mcu_conv_params_f32 *p,
                    const mcu_dims *in_dims, const float *in,
                    const mcu_dims *f_dims, const float *filter, const float *bias,
                    const mcu_dims *out_dims, float *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, k_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / k_c;
    const int32_t per_group = out_c / groups;
    int32_t b, oy, ox, o, ky, kx, ci;

    for (b = 0; b < out_dims->n; ++b) {
        const float *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (o = 0; o < out_c; ++o) {
                    const int32_t c0 = (o / per_group) * k_c;
                    const float *w_o = filter + (size_t)o * k_h * k_w * k_c;
                    float total = 0.0f;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky * p->dilation.h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = x0 + kx * p->dilation.w;
                            const float *px;
                            const float *pw;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            px = in_b + ((size_t)y * in_w + x) * in_c + c0;
                            pw = w_o + ((size_t)ky * k_w + kx) * k_c;
                            for (ci = 0; ci < k_c; ++ci) {
                                const float prod = px[ci] * pw[ci];
                                total += prod;
                            }
                        }
                    }
                    total = total + (bias != NULL ? bias[o] : 0.0f);
                    *out++ = mcu_clampf(total, &p->act);
                }
            }
        }
    }
}
