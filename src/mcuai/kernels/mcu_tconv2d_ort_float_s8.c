/*
 * mcu_tconv2d_ort_float_s8 - int8 transposed convolution computed as ONNX Runtime computes a
 * DequantizeLinear -> ConvTranspose -> QuantizeLinear group (ORT has no integer ConvTranspose
 * on the CPU: the group stays float). ORT's ConvTranspose (conv_transpose.cc): one SGEMM
 * col = W^T * X (M = Cout*Kh*Kw, N = H*W input pixels, K = Cin), then Col2im into a zeroed
 * output, then the bias. Per output element (float32; checked against ORT 1.32):
 *   x_f = (float)(in + input_offset) * s_x,  w_f = (float)(w + weight_offset[o]) * s_w[o]
 *   s = 0.0f; for ky, then kx (Col2im's order): if the output row/column comes from input
 *     pixel (iy, ix) = ((oy + pad_t - ky) / sh, (ox + pad_l - kx) / sw) (exact division, inside
 *     the input), col = the SGEMM sum over input channels: blocks of stride_k channels, each a
 *     chain of fused multiply-adds from 0.0f (acc = fmaf(w_f, x_f, acc)), block results added
 *     in order; s = s + col;
 *   s = s + bias[o] (when there is a bias);
 *   out = saturate(round_half_to_even(s / s_y) + output_offset) clamped to [act_min, act_max].
 * No integer overflow: all accumulation is float32.
 */
#include "mcu_tconv2d_ort_float_s8.h"

#include <math.h>

void mcu_tconv2d_ort_float_s8(const mcu_conv_params *p, const mcu_conv_ort_float_quant *q,
                              const mcu_dims *in_dims, const int8_t *in,
                              const mcu_dims *f_dims, const int8_t *filter,
                              const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t sh = p->stride.h, sw = p->stride.w;
    int32_t b, oy, ox, o, ky, kx, ci;
    size_t oi = 0;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            for (ox = 0; ox < out_w; ++ox) {
                for (o = 0; o < out_c; ++o) {
                    const float s_w = q->weight_scale[o * q->weight_scale_step];
                    const int32_t w_off = q->weight_offset[o * q->weight_scale_step];
                    float s = 0.0f;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t ty = oy + p->padding.h - ky;
                        int32_t iy;
                        if (ty < 0 || ty % sh != 0) {
                            continue;
                        }
                        iy = ty / sh;
                        if (iy >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t tx = ox + p->padding.w - kx;
                            const int8_t *xp;
                            const int8_t *wp;
                            float col = 0.0f;
                            float acc = 0.0f;
                            int32_t ix;
                            if (tx < 0 || tx % sw != 0) {
                                continue;
                            }
                            ix = tx / sw;
                            if (ix >= in_w) {
                                continue;
                            }
                            xp = in_b + ((size_t)iy * in_w + ix) * in_c;
                            wp = filter + (((size_t)o * k_h + ky) * k_w + kx) * in_c;
                            for (ci = 0; ci < in_c; ++ci) {
                                const float xf = (float)((int32_t)xp[ci] + p->input_offset)
                                                 * q->input_scale;
                                const float wf = (float)((int32_t)wp[ci] + w_off) * s_w;
                                acc = fmaf(wf, xf, acc);
                                if ((ci + 1) % q->stride_k == 0 || ci + 1 == in_c) {
                                    col = (ci < q->stride_k) ? acc : col + acc;
                                    acc = 0.0f;
                                }
                            }
                            s = s + col;
                        }
                    }
                    if (q->bias != NULL) {
                        s = s + q->bias[o];
                    }
                    out[oi++] = (int8_t)mcu_ort_saturate(s / q->output_scale, p->output_offset,
                                                         p->act_min, p->act_max);
                }
            }
        }
    }
}
