/*
 * mcu_tconv2d_asym_s8 - int8 transpose convolution (TFLite TRANSPOSE_CONV) with asymmetric
 * (per-tensor zero point) weights, NHWC input, filter [Cout, Kh, Kw, Cin], optional bias. Used
 * for TFLite uint8 models stored as int8 (q - 128, zero points - 128).
 *
 * Math: real = scale * (q - zp); weights_offset = -zp_w. Input pixel (iy, ix) scatters to
 *   output (iy*stride_h + ky - pad_top, ix*stride_w + kx - pad_left); contributions outside
 *   the output are dropped.
 * Rule (TFLite reference_ops::TransposeConv, uint8 overload, as LiteRT BUILTIN_REF runs it):
 *   acc[oy,ox,o] = sum over (iy,ky) with iy*stride_h + ky = oy + pad_top, (ix,kx) likewise,
 *                  and ci of (in[iy,ix,ci] + input_offset) * (w[o,ky,kx,ci] + weights_offset);
 *   out = clamp(requantize(acc + bias[o], mult, shift) + output_offset, act_min, act_max)
 *   with one multiplier for the layer (repeated per channel by the lowering).
 * The reference scatters into an int32 scratch image of the output; this kernel gathers the
 * same products per output element (integer addition is associative and both wrap alike), so
 * it needs no scratch memory.
 * Overflow: each product is <= 255 * 255 = 65025; an output element sums at most
 *   ceil(Kh/sh)*ceil(Kw/sw)*Cin products: fits int32 below 33025 of them.
 */
#include "mcu_tconv2d_asym_s8.h"

void mcu_tconv2d_asym_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                         int32_t weights_offset, const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t s_h = p->stride.h, s_w = p->stride.w;
    int32_t b, oy, ox, o, ky, kx, ci;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t ty = oy + p->padding.h; /* = iy * s_h + ky */
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t tx = ox + p->padding.w; /* = ix * s_w + kx */
                for (o = 0; o < out_c; ++o) {
                    int32_t acc = 0;
                    for (ky = ty % s_h; ky < k_h && ky <= ty; ky += s_h) {
                        const int32_t iy = (ty - ky) / s_h;
                        if (iy >= in_h) {
                            continue;
                        }
                        for (kx = tx % s_w; kx < k_w && kx <= tx; kx += s_w) {
                            const int32_t ix = (tx - kx) / s_w;
                            const int8_t *px;
                            const int8_t *pw;
                            if (ix >= in_w) {
                                continue;
                            }
                            px = in_b + ((size_t)iy * in_w + ix) * in_c;
                            pw = filter + (((size_t)o * k_h + ky) * k_w + kx) * in_c;
                            for (ci = 0; ci < in_c; ++ci) {
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
