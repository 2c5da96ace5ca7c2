/*
 * mcu_conv2d_ort_s8 - int8 2-D convolution (NHWC input, OHWI filter, groups) with ONNX
 * Runtime's float requantization: the ORT rule for QLinearConv and for a fused
 * DequantizeLinear -> Conv -> QuantizeLinear group.
 *
 * Math: real = scale * (q - zp). Rule (onnxruntime QLinearConv, MLAS conv / symmetric conv
 * kernels with MlasRequantizeOutput):
 *   acc[o] = bias[o] + sum_{ky,kx,ci} (in[y,x,g*Cg+ci] + input_offset) * (w[o,ky,kx,ci] +
 *            weights_offset) over taps inside the image (padding taps read zp_in, i.e. add 0),
 *            y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w,
 *            g = o / (Cout/groups), Cg = Cin/groups (exact integer sum: order is irrelevant);
 *   out[o] = saturate(round_half_to_even((float)acc[o] * scale[o]) + output_offset) clamped to
 *            [act_min, act_max] (mcu_requant_ort.h), scale[o] = (s_x * s_w[o]) / s_y in float32.
 *   With q->post_scale set (ConvInteger -> Cast -> Mul(c) -> QuantizeLinear, two float
 *   nodes in ORT): out[o] = saturate(rne(((float)acc[o] * c[o]) / s_y) + output_offset), each
 *   operation rounded to float32 (mcu_ort_requant_q).
 * Overflow: |in + input_offset| <= 255 and |w + weights_offset| <= 255, each product
 *   <= 65025; the sum of K = Kh*Kw*Cg products and the bias fits int32 for K <= 32767 with a
 *   bias below 2^30 (ONNX Runtime's accumulator is int32 as well).
 */
#include "mcu_conv2d_ort_s8.h"

void mcu_conv2d_ort_s8(const mcu_conv_params *p, const mcu_quant_ort *q,
                       const mcu_dims *in_dims, const int8_t *in,
                       const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                       const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, k_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / k_c;
    const int32_t per_group = out_c / groups;
    const int32_t w_off = q->weights_offset;
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
                                       * ((int32_t)pw[ci] + w_off);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[o];
                    }
                    *out++ = (int8_t)mcu_ort_requant_q(q, acc, o, p->output_offset,
                                                       p->act_min, p->act_max);
                }
            }
        }
    }
}
