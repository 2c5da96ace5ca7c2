/*
 * mcu_conv2d_asym_s8 - int8 2-D convolution with asymmetric (per-tensor zero point) weights,
 * NHWC input, OHWI filter. Used for TFLite uint8 models, whose uint8 tensors mcuai stores as
 * int8 (q - 128, zero points - 128), so the weights keep a non-zero zero point.
 *
 * Math: real = scale * (q - zp); weights_offset = -zp_w.
 * Rule (TFLite reference_ops::Conv, uint8 overload, as LiteRT BUILTIN_REF runs it; the -128
 *   shift of input, weights and output cancels in every difference below):
 *   acc[o]  = bias[o] + sum_{ky,kx,ci} (in[y,x,g*Cg+ci] + input_offset)
 *                                    * (w[o,ky,kx,ci] + weights_offset)
 *             over taps inside the image (padding taps contribute nothing),
 *             y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w,
 *             g = o / (Cout/groups), Cg = filter channels = Cin/groups;
 *   out[o]  = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max),
 *   requantize = MultiplyByQuantizedMultiplier (mcu_nn.h). The uint8 reference has one
 *   multiplier for the layer (QuantizeMultiplier of (double)(float)(s_in * s_w) / s_out, see
 *   mcuai.lower.uint8); the lowering repeats it for every channel.
 * Overflow: |in + input_offset| <= 255 and |w + weights_offset| <= 255, so each product is
 *   <= 65025 and the sum of K = Kh*Kw*Cg products fits int32 for K <= 33025 (TFLite's uint8
 *   kernel accumulates in int32 under the same assumption).
 */
#include "mcu_conv2d_asym_s8.h"

void mcu_conv2d_asym_s8(const mcu_conv_params *p, const mcu_quant_pc *q, int32_t weights_offset,
                        const mcu_dims *in_dims, const int8_t *in,
                        const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                        const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, k_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / k_c;
    const int32_t per_group = out_c / groups;
    int32_t b, oy, ox, o, ky, kx, ci;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (o = 0; o < out_c; ++o) {
                    const int32_t c0 = (o / per_group) * k_c;
                    const int8_t *w_o = filter + (size_t)o * k_h * k_w * k_c;
                    int32_t acc = 0;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky * p->dilation.h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = x0 + kx * p->dilation.w;
                            const int8_t *px;
                            const int8_t *pw;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            px = in_b + ((size_t)y * in_w + x) * in_c + c0;
                            pw = w_o + ((size_t)ky * k_w + kx) * k_c;
                            for (ci = 0; ci < k_c; ++ci) {
                                acc += ((int32_t)px[ci] + p->input_offset)
                                       * ((int32_t)pw[ci] + weights_offset);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[o];
                    }
                    acc = mcu_requantize(acc, q->multiplier[o], q->shift[o]) + p->output_offset;
                    *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
