/*
 * mcu_dwconv2d_inplace_s8 - int8 depthwise 2-D convolution (any window, stride, dilation,
 * padding and channel multiplier), NHWC input, filter [1, Kh, Kw, Cout], Cout = Cin * ch_mult,
 * per-channel requantization, whose output may overlap its input.
 *
 * Rule (TFLite reference_integer_ops::DepthwiseConvPerChannel, as mcu_dwconv2d_s8):
 *   acc[o] = bias[o] + sum_{ky,kx} (in[y, x, o / ch_mult] + input_offset) * w[ky, kx, o]
 *            over taps inside the image (padding taps contribute nothing, i.e. read zp_in),
 *            y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w;
 *   out[o] = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max);
 *   bias may be NULL.
 * Overflow: each product is <= 255 * 128 = 32640, so the Kh*Kw products fit int32 for windows
 *   up to 65793 taps; the bias is added as in TFLite.
 *
 * In-place contract (mcuai.memory.overlap relies on it; keep it when optimising this file):
 *   output pixels q = (n*Hout + oy)*Wout + ox are produced one after the other, in increasing
 *   order (backward == 0) or decreasing order (backward != 0); while pixel q is produced the
 *   kernel reads only the input pixels inside q's window and writes only the Cout bytes of
 *   pixel q. Therefore, in one buffer:
 *   - forward: `out` may lie D bytes below `in` (in == (const int8_t *)out + D) whenever
 *       D >= max over q of ((q + 1)*Cout - m(q)*Cin),
 *     m(q) = the smallest input pixel index (n*H + y)*W + x read by any output pixel >= q
 *     (for a stride-1 3x3 window with padding 1 about one input row plus two pixels);
 *   - backward: `out` may lie E bytes above `in` (out == (int8_t *)in + E) whenever
 *       E >= max over q of ((M(q) + 1)*Cin - q*Cout),
 *     M(q) = the largest input pixel index read by any output pixel <= q.
 *   Separate buffers are fine too. No restrict qualifiers.
 */
#include "mcu_dwconv2d_inplace_s8.h"

void mcu_dwconv2d_inplace_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                             const mcu_dims *in_dims, const int8_t *in,
                             const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                             const mcu_dims *out_dims, int8_t *out, int32_t backward)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t mult = p->ch_mult;
    const int32_t pixels = out_dims->n * out_h * out_w;
    int32_t i, ic, m, ky, kx;

    for (i = 0; i < pixels; ++i) {
        const int32_t pix = backward ? pixels - 1 - i : i;
        const int32_t b = pix / (out_h * out_w);
        const int32_t oy = (pix / out_w) % out_h;
        const int32_t ox = pix % out_w;
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        const int32_t y0 = oy * p->stride.h - p->padding.h;
        const int32_t x0 = ox * p->stride.w - p->padding.w;
        int8_t *out_px = out + (size_t)pix * out_c;
        /* taps inside the image: ky in [ky_lo, ky_hi), kx in [kx_lo, kx_hi) */
        const int32_t dh = p->dilation.h, dw = p->dilation.w;
        const int32_t ky_lo = y0 >= 0 ? 0 : (-y0 + dh - 1) / dh;
        const int32_t kx_lo = x0 >= 0 ? 0 : (-x0 + dw - 1) / dw;
        int32_t ky_hi = in_h - y0 <= 0 ? 0 : (in_h - y0 + dh - 1) / dh;
        int32_t kx_hi = in_w - x0 <= 0 ? 0 : (in_w - x0 + dw - 1) / dw;
        ky_hi = ky_hi < k_h ? ky_hi : k_h;
        kx_hi = kx_hi < k_w ? kx_hi : k_w;
        ic = 0;
        if (mult == 1) { /* four channels at a time: one window walk for four accumulators */
            for (; ic + 4 <= in_c; ic += 4) {
                int32_t acc[4] = {0, 0, 0, 0};
                int32_t j;
                for (ky = ky_lo; ky < ky_hi; ++ky) {
                    const int8_t *row = in_b + (size_t)(y0 + ky * dh) * in_w * in_c + ic;
                    const int8_t *wrow = filter + (size_t)ky * k_w * out_c + ic;
                    for (kx = kx_lo; kx < kx_hi; ++kx) {
                        const int8_t *px = row + (size_t)(x0 + kx * dw) * in_c;
                        const int8_t *pw = wrow + (size_t)kx * out_c;
                        acc[0] += ((int32_t)px[0] + p->input_offset) * (int32_t)pw[0];
                        acc[1] += ((int32_t)px[1] + p->input_offset) * (int32_t)pw[1];
                        acc[2] += ((int32_t)px[2] + p->input_offset) * (int32_t)pw[2];
                        acc[3] += ((int32_t)px[3] + p->input_offset) * (int32_t)pw[3];
                    }
                }
                for (j = 0; j < 4; ++j) {
                    const int32_t o = ic + j;
                    int32_t a = acc[j] + (bias != NULL ? bias[o] : 0);
                    a = mcu_requantize(a, q->multiplier[o], q->shift[o]) + p->output_offset;
                    out_px[o] = (int8_t)mcu_clamp(a, p->act_min, p->act_max);
                }
            }
        }
        for (; ic < in_c; ++ic) {
            for (m = 0; m < mult; ++m) {
                const int32_t o = ic * mult + m;
                int32_t acc = 0;
                for (ky = ky_lo; ky < ky_hi; ++ky) {
                    const int8_t *row = in_b + (size_t)(y0 + ky * dh) * in_w * in_c + ic;
                    const int8_t *wrow = filter + (size_t)ky * k_w * out_c + o;
                    for (kx = kx_lo; kx < kx_hi; ++kx) {
                        acc += ((int32_t)row[(size_t)(x0 + kx * dw) * in_c] + p->input_offset)
                               * (int32_t)wrow[(size_t)kx * out_c];
                    }
                }
                if (bias != NULL) {
                    acc += bias[o];
                }
                acc = mcu_requantize(acc, q->multiplier[o], q->shift[o]) + p->output_offset;
                out_px[o] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}
