/*
 * mcu_dwconv2d_ort_s8 - int8 depthwise 2-D convolution (NHWC input, filter [1, Kh, Kw, Cout],
 * Cout = Cin * ch_mult) with ONNX Runtime's float requantization: the ORT rule for a grouped
 * QLinearConv with one input channel per group (MLAS depthwise kernel, MlasConvDepthwise /
 * MlasConvSymDepthwise, then MlasRequantizeOutput).
 *
 * Math: real = scale * (q - zp); output channel o = c * ch_mult + m reads input channel c.
 *   acc[o] = bias[o] + sum_{ky,kx} (in[y, x, o / ch_mult] + input_offset) *
 *            (w[ky, kx, o] + weights_offset) over taps inside the image (padding taps add 0),
 *            y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w;
 *   out[o] = saturate(round_half_to_even((float)acc[o] * scale[o]) + output_offset) clamped to
 *            [act_min, act_max] (mcu_requant_ort.h), scale[o] = (s_x * s_w[o]) / s_y in float32.
 * Overflow: each product <= 255 * 255 = 65025, so Kh*Kw taps up to 32767 plus a bias below
 *   2^30 fit int32.
 */
#include "mcu_dwconv2d_ort_s8.h"

void mcu_dwconv2d_ort_s8(const mcu_conv_params *p, const mcu_quant_ort *q,
                         const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t mult = p->ch_mult;
    const int32_t w_off = q->weights_offset;
    int32_t b, oy, ox, ic, m, ky, kx;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (ic = 0; ic < in_c; ++ic) {
                    for (m = 0; m < mult; ++m) {
                        const int32_t o = ic * mult + m;
                        int32_t acc = 0;
                        for (ky = 0; ky < k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dilation.h;
                            if (y < 0 || y >= in_h) {
                                continue;
                            }
                            for (kx = 0; kx < k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dilation.w;
                                if (x < 0 || x >= in_w) {
                                    continue;
                                }
                                acc += ((int32_t)in_b[((size_t)y * in_w + x) * in_c + ic]
                                        + p->input_offset)
                                       * ((int32_t)filter[((size_t)ky * k_w + kx) * out_c + o]
                                          + w_off);
                            }
                        }
                        if (bias != NULL) {
                            acc += bias[o];
                        }
                        out[o] = (int8_t)mcu_ort_requant_q(q, acc, o, p->output_offset,
                                                           p->act_min, p->act_max);
                    }
                }
                out += out_c;
            }
        }
    }
}
