/*
 * mcu_maxpool2d_inplace_s8 - int8 max pooling over NHWC data with an explicit padding value,
 * whose output may overlap its input.
 *
 * Parameters: p->stride, p->padding (top, left: bottom/right follow from the output size),
 *   p->act_min/act_max (the fused activation as an integer clamp); pad_value: what a window
 *   position outside the image holds. The other fields of mcu_conv_params are unused;
 *   f_dims->h/w is the window.
 * Rule: out = clamp(max(max over the in-image part of the window, pad_value if the window
 *   reaches outside the image), act_min, act_max) on the raw integers, starting from -128.
 *   With pad_value = -128 this is TFLite's reference_integer_ops::MaxPool (window clipped to
 *   the image, padding never wins; a window wholly outside gives -128 before the clamp, as
 *   mcu_maxpool2d_s8). With pad_value = v it is TFLite PAD (filled with v) followed by a VALID
 *   MaxPool over the padded tensor, which mcuai.passes.fuse_pad folds into this kernel.
 *   No arithmetic, no overflow. DSP path (Cortex-M4/M7/M33 unless MCU_PORTABLE): 4 channels
 *   per 32-bit word, byte-wise signed max / min by SSUB8 + SEL (mcu_dsp_dw.h): the same
 *   maximum and clamp per byte; same reads and writes per pixel, so the contract holds.
 *
 * In-place contract (mcuai.memory.overlap relies on it; keep it when optimising this file):
 *   output pixels q = (n*Hout + oy)*Wout + ox are produced one after the other, in increasing
 *   order (backward == 0) or decreasing order (backward != 0); while pixel q is produced the
 *   kernel reads only the input pixels inside q's window and writes only the C bytes of
 *   pixel q. Therefore, in one buffer:
 *   - forward: `out` may lie D bytes below `in` (in == (const int8_t *)out + D) whenever
 *       D >= max over q of ((q + 1)*C - m(q)*C),
 *     m(q) = the smallest input pixel index (n*H + y)*W + x read by any output pixel >= q;
 *   - backward: `out` may lie E bytes above `in` (out == (int8_t *)in + E) whenever
 *       E >= max over q of ((M(q) + 1)*C - q*C),
 *     M(q) = the largest input pixel index read by any output pixel <= q.
 *   Separate buffers are fine too. No restrict qualifiers.
 */
#include <string.h>

#include "mcu_dsp_dw.h"
#include "mcu_maxpool2d_inplace_s8.h"

void mcu_maxpool2d_inplace_s8(const mcu_conv_params *p, int32_t pad_value,
                              const mcu_dims *in_dims, const int8_t *in,
                              const mcu_dims *f_dims, const mcu_dims *out_dims, int8_t *out,
                              int32_t backward)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t pixels = out_dims->n * out_h * out_w;
    int32_t i, c, ky, kx;

    for (i = 0; i < pixels; ++i) {
        const int32_t pix = backward ? pixels - 1 - i : i;
        const int32_t b = pix / (out_h * out_w);
        const int32_t oy = (pix / out_w) % out_h;
        const int32_t ox = pix % out_w;
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        const int32_t y0 = oy * p->stride.h - p->padding.h;
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = in_h - y0 < k_h ? in_h - y0 : k_h;
        const int32_t x0 = ox * p->stride.w - p->padding.w;
        const int32_t kx0 = x0 < 0 ? -x0 : 0;
        const int32_t kx1 = in_w - x0 < k_w ? in_w - x0 : k_w;
        const int32_t clipped = ky0 > 0 || kx0 > 0 || ky1 < k_h || kx1 < k_w;
        int8_t *out_px = out + (size_t)pix * in_c;
        int32_t start = -128;
        if (clipped && pad_value > start) {
            start = pad_value;
        }
        c = 0;
#if defined(MCU_DSP_DW)
        {
            /* four channels per word: SSUB8 + SEL give the byte-wise signed maximum */
            const uint32_t st4 = 0x01010101u * ((uint32_t)start & 0xffu);
            const uint32_t lo4 = 0x01010101u * ((uint32_t)p->act_min & 0xffu);
            const uint32_t hi4 = 0x01010101u * ((uint32_t)p->act_max & 0xffu);
            for (; c + 4 <= in_c; c += 4) {
                uint32_t m4 = st4;
                for (ky = ky0; ky < ky1; ++ky) {
                    const int8_t *row =
                        in_b + (size_t)(y0 + ky) * (size_t)in_w * (size_t)in_c + c;
                    for (kx = kx0; kx < kx1; ++kx) {
                        m4 = mcu_dsp_max4(m4, mcu_dsp_ld4(row + (size_t)(x0 + kx) * in_c));
                    }
                }
                m4 = mcu_dsp_min4(mcu_dsp_max4(m4, lo4), hi4);
                memcpy(out_px + c, &m4, 4);
            }
        }
#endif
        for (; c < in_c; ++c) {
            int32_t acc = start;
            for (ky = ky0; ky < ky1; ++ky) {
                const int8_t *row = in_b + (size_t)(y0 + ky) * (size_t)in_w * (size_t)in_c;
                for (kx = kx0; kx < kx1; ++kx) {
                    const int32_t v = (int32_t)row[(size_t)(x0 + kx) * (size_t)in_c + c];
                    acc = v > acc ? v : acc;
                }
            }
            out_px[c] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
        }
    }
}
