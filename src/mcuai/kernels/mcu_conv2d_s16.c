/*
 * mcu_conv2d_s16 - 16x8 2-D convolution: int16 activations, int8 filter (OHWI, symmetric,
 * per-channel or per-tensor), int64 bias (an int32 model bias is widened at generation time),
 * NHWC, groups allowed.
 *
 * Math: real = scale * (q - zp); TFLite requires zp = 0 for int16 activations (the offsets
 * are applied anyway, as the reference does).
 * Rule (TFLite reference_integer_ops::ConvPerChannel, 16x8 overloads, as LiteRT 2.3
 * BUILTIN_REF runs them):
 *   acc[o] = bias[o] + sum_{ky,kx,ci} (in[y,x,g*Cg+ci] + input_offset) * w[o,ky,kx,ci]
 *            over taps inside the image (same indexing as mcu_conv2d_s8);
 *   int64 bias (q->acc32 = 0): int64 accumulator, r = mcu_requantize64(acc, mult, shift)
 *            (TFLite's int64 MultiplyByQuantizedMultiplier, 16-bit reduced multiplier);
 *   int32 bias (q->acc32 = 1): int32 accumulator, r = mcu_requantize(acc, mult, shift);
 *   out[o]  = clamp(r + output_offset, act_min, act_max).
 * Overflow: |in + input_offset| <= 65535 and |w| <= 128, so each product is < 2^23: the int64
 *   accumulator is exact and within the rule's |acc| < 2^47 for windows up to 2^24 taps. The
 *   int32 path wraps exactly as the reference's int32 accumulator (about 256 full-scale
 *   taps fit; real models stay far below full scale).
 */
#include "mcu_conv2d_s16.h"

void mcu_conv2d_s16(const mcu_conv_params *p, const mcu_quant_s16 *q,
                    const mcu_dims *in_dims, const int16_t *in,
                    const mcu_dims *f_dims, const int8_t *filter, const int64_t *bias,
                    const mcu_dims *out_dims, int16_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, k_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / k_c;
    const int32_t per_group = out_c / groups;
    int32_t b, oy, ox, o, ky, kx, ci;

    for (b = 0; b < out_dims->n; ++b) {
        const int16_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (o = 0; o < out_c; ++o) {
                    const int32_t c0 = (o / per_group) * k_c;
                    const int8_t *w_o = filter + (size_t)o * k_h * k_w * k_c;
                    int64_t acc = 0;
                    int32_t r;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky * p->dilation.h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = x0 + kx * p->dilation.w;
                            const int16_t *px;
                            const int8_t *pw;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            px = in_b + ((size_t)y * in_w + x) * in_c + c0;
                            pw = w_o + ((size_t)ky * k_w + kx) * k_c;
                            for (ci = 0; ci < k_c; ++ci) {
                                acc += ((int32_t)px[ci] + p->input_offset) * (int32_t)pw[ci];
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[o];
                    }
                    if (q->acc32) {
                        r = mcu_requantize((int32_t)(uint32_t)(uint64_t)acc, q->multiplier[o],
                                           q->shift[o]);
                    } else {
                        r = mcu_requantize64(acc, q->multiplier[o], q->shift[o]);
                    }
                    *out++ = (int16_t)mcu_clamp(r + p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
