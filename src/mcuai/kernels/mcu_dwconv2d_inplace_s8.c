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
 * DSP path (Cortex-M4/M7/M33, unless MCU_PORTABLE; channel multiplier 1, groups of 4
 *   channels): one 32-bit load of 4 input channels and one of their 4 weights per tap;
 *   SXTAB16 widens input channels (0, 2) and (1, 3) with input_offset added to each 16-bit
 *   half (|x + offset| <= 255 fits), SXTB16 the weights, and SMLABB / SMLATT add each
 *   channel's exact product to its own int32 accumulator (modulo 2^32 like the C sum);
 *   3x3 windows with dilation_w 1, a bias and right-shift multipliers (the usual case) in
 *   mcu_dw_inplace_px3x3f per pixel: the in-image taps of 3x3, 3x2, 2x3 and 2x2 windows as
 *   one asm block per group of 4 channels (10 instructions a tap; input and weight taps
 *   both c = Cin bytes apart), the requantization of the 4 channels by mcu_mm_out4_neg
 *   (mcu_dsp_mm.h: one asm block, 13 instructions a channel, byte-wise SSUB8/SEL clamp);
 *   other 3x3 windows (any stride, dilation, clipping) in mcu_dw_inplace_px3x3 (the
 *   in-image taps unrolled), other windows in the loop.
 *   Requantization (bit-exact with mcu_requantize): 4 channels by mcu_mm_out4 (mcu_dsp_mm.h;
 *   right shifts), else mcu_dsp_out (mcu_dsp_dw.h). Same reads and writes per pixel as the
 *   loop, so the contract holds.
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
#include <string.h>

#include "mcu_dwconv2d_inplace_s8.h"
#include "mcu_dsp_dw.h"
#include "mcu_dsp_mm.h"

#if defined(MCU_DSP_DW)
/* one tap of four channels: input word at X, weight word at W (see below) */
#define MCU_DW_INPLACE_TAP(X, W)                                                            \
    do {                                                                                    \
        const uint32_t x_ = mcu_dsp_ld4(X), w_ = mcu_dsp_ld4(W);                            \
        const int32_t x02_ = mcu_dsp_sxtab16(off2, x_), x13_ = mcu_dsp_sxtab16_ror8(off2, x_); \
        const int32_t w02_ = mcu_dsp_sxtb16(w_), w13_ = mcu_dsp_sxtb16_ror8(w_);           \
        a0 = __smlabb(x02_, w02_, a0);                                                      \
        a2 = __smlatt(x02_, w02_, a2);                                                      \
        a1 = __smlabb(x13_, w13_, a1);                                                      \
        a3 = __smlatt(x13_, w13_, a3);                                                      \
    } while (0)
#endif
#if defined(MCU_DSP_DW)
/* One output pixel of a 3x3 window, channels [0, n4) (n4 % 4 == 0), over its nky x nkx
   taps inside the image (nkx in 1..3): x at the first such tap, w at its weights, xs bytes
   between taps of a row, rs between rows; a function of its own so that the channel loop
   keeps its values in registers. */
__attribute__((noinline)) static void mcu_dw_inplace_px3x3(const int8_t *x, const int8_t *w,
                                                           int8_t *y, int32_t n4, int32_t xs,
                                                           int32_t rs, const mcu_conv_params *p,
                                                           const mcu_quant_pc *q,
                                                           const int32_t *bias, int32_t c,
                                                           int32_t nky, int32_t nkx)
{
    const int32_t off2 = (int32_t)(((uint32_t)p->input_offset << 16)
                                   | ((uint32_t)p->input_offset & 0xffffu));
    int32_t ic;
    for (ic = 0; ic < n4; ic += 4) {
        const int8_t *xr = x + ic;
        const int8_t *wr = w + ic;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky;
        int32_t acc[4];
        uint32_t v;
        if (bias != NULL) {
            a0 = bias[ic];
            a1 = bias[ic + 1];
            a2 = bias[ic + 2];
            a3 = bias[ic + 3];
        }
        for (ky = 0; ky < nky; ++ky) {
            MCU_DW_INPLACE_TAP(xr, wr);
            if (nkx > 1) {
                MCU_DW_INPLACE_TAP(xr + xs, wr + c);
                if (nkx > 2) {
                    MCU_DW_INPLACE_TAP(xr + 2 * xs, wr + 2 * c);
                }
            }
            xr += rs;
            wr += 3 * c;
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
        if (mcu_mm_out4(acc, q->multiplier + ic, q->shift + ic, p->output_offset, p->act_min,
                        p->act_max, &v)) {
            memcpy(y + ic, &v, 4);
        } else {
            int32_t j;
            for (j = 0; j < 4; ++j) {
                y[ic + j] = mcu_dsp_out(acc[j], q->multiplier[ic + j], q->shift[ic + j],
                                        p->output_offset, p->act_min, p->act_max);
            }
        }
    }
}
#endif

#if defined(MCU_DSP_DW)
/* One tap of four channels in asm: input word LX and weight word LW (addressing modes over
   x, w and the stride c), SXTAB16 adds input_offset to input channels (0, 2) and (1, 3),
   SXTB16 widens the weights, SMLABB / SMLATT accumulate the exact products (as above). */
#define MCU_DWI_ASM_TAP(LX, LW)                                                               \
    "ldr %[t0], " LX "\n\t"                                                                 \
    "ldr %[t2], " LW "\n\t"                                                                 \
    "sxtab16 %[t1], %[off2], %[t0], ror #8\n\t"                                             \
    "sxtab16 %[t0], %[off2], %[t0]\n\t"                                                     \
    "sxtb16 %[t3], %[t2], ror #8\n\t"                                                       \
    "sxtb16 %[t2], %[t2]\n\t"                                                               \
    "smlabb %[a0], %[t0], %[t2], %[a0]\n\t"                                                 \
    "smlatt %[a2], %[t0], %[t2], %[a2]\n\t"                                                 \
    "smlabb %[a1], %[t1], %[t3], %[a1]\n\t"                                                 \
    "smlatt %[a3], %[t1], %[t3], %[a3]\n\t"
#define MCU_DWI_T0 MCU_DWI_ASM_TAP("[%[x]]", "[%[w]]")
#define MCU_DWI_T1 MCU_DWI_ASM_TAP("[%[x], %[c]]", "[%[w], %[c]]")
#define MCU_DWI_T2 MCU_DWI_ASM_TAP("[%[x], %[c], lsl #1]", "[%[w], %[c], lsl #1]")
#define MCU_DWI_ROW(TAPS)                                                                     \
    __asm__(TAPS                                                                              \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t0] "=&r"(t0),     \
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)                                  \
            : [x] "r"(xr), [w] "r"(wr), [c] "r"(c), [off2] "r"(off2)                          \
            : "memory")
/* Several rows in one block: NEXT moves x down one window row (rs bytes, read from memory:
   one register fewer) and w by 3c. */
#define MCU_DWI_NEXT                                                                          \
    "ldr %[t0], %[rs]\n\t"                                                                   \
    "add %[x], %[x], %[t0]\n\t"                                                              \
    "add %[w], %[w], %[c]\n\t"                                                               \
    "add %[w], %[w], %[c], lsl #1\n\t"
#define MCU_DWI_ROWS(TAPS)                                                                    \
    __asm__(TAPS                                                                              \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t0] "=&r"(t0),     \
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [x] "+r"(xr), [w] "+r"(wr)      \
            : [c] "r"(c), [off2] "r"(off2), [rs] "m"(rs)                                      \
            : "memory")
#define MCU_DWI_R3 MCU_DWI_T0 MCU_DWI_T1 MCU_DWI_T2
#define MCU_DWI_R2 MCU_DWI_T0 MCU_DWI_T1
/* One output pixel of a 3x3 window with dilation_w 1 and ch_mult 1 (so the input and weight
   tap strides are both c = Cin), channels [0, n4) (n4 % 4 == 0), over its nky x nkx taps inside
   the image: x at the first such tap, w at its weights, rs input bytes between taps of a
   column. Requires a bias and every shift of [0, n4) <= -1 (mcu_dw_inplace_fast_ok). Reads
   and writes exactly what the loop of mcu_dw_inplace_px3x3 does. */
typedef struct {
    int32_t off2;          /* input_offset in both 16-bit halves */
    int32_t off;           /* output_offset */
    uint32_t lo4, hi4;     /* act_min, act_max in four bytes */
    int32_t n4, c, rs;     /* channels [0, n4); tap stride c = Cin; rs: bytes between rows */
    const int32_t *mult, *shift, *bias;
} mcu_dwi_ctx;

__attribute__((noinline)) static void mcu_dw_inplace_px3x3f(const mcu_dwi_ctx *k,
                                                            const int8_t *x, const int8_t *w,
                                                            int8_t *y, int32_t nky, int32_t nkx)
{
    const int32_t off2 = k->off2, off = k->off, n4 = k->n4, c = k->c, rs = k->rs;
    const uint32_t lo4 = k->lo4, hi4 = k->hi4;
    const int32_t *bias = k->bias;
    const int32_t ws = 3 * c;
    /* 9: 3x3 taps, 8: 3x2, 6: 2x3, 5: 2x2, else row by row */
    const int32_t sel = nky >= 2 && nkx >= 2 ? 3 * nky + nkx - 3 : 0;
    int32_t ic;
    for (ic = 0; ic < n4; ic += 4) {
        const int8_t *xr = x + ic;
        const int8_t *wr = w + ic;
        int32_t a0 = bias[ic], a1 = bias[ic + 1], a2 = bias[ic + 2], a3 = bias[ic + 3];
        int32_t t0, t1, t2, t3, ky;
        uint32_t v;
        if (sel == 9) { /* inner pixel: the nine taps in one block */
            MCU_DWI_ROWS(MCU_DWI_R3 MCU_DWI_NEXT MCU_DWI_R3 MCU_DWI_NEXT MCU_DWI_R3);
        } else if (sel == 8) { /* 3 rows x 2 columns (left or right border) */
            MCU_DWI_ROWS(MCU_DWI_R2 MCU_DWI_NEXT MCU_DWI_R2 MCU_DWI_NEXT MCU_DWI_R2);
        } else if (sel == 6) { /* 2 rows x 3 columns (top or bottom border) */
            MCU_DWI_ROWS(MCU_DWI_R3 MCU_DWI_NEXT MCU_DWI_R3);
        } else if (sel == 5) { /* 2 x 2 (a corner) */
            MCU_DWI_ROWS(MCU_DWI_R2 MCU_DWI_NEXT MCU_DWI_R2);
        } else {
        for (ky = 0; ky < nky; ++ky) {
            if (nkx == 3) {
                MCU_DWI_ROW(MCU_DWI_T0 MCU_DWI_T1 MCU_DWI_T2);
            } else if (nkx == 2) {
                MCU_DWI_ROW(MCU_DWI_T0 MCU_DWI_T1);
            } else {
                MCU_DWI_ROW(MCU_DWI_T0);
            }
            xr += rs;
            wr += ws;
        }
        }
        v = mcu_mm_out4_neg(a0, a1, a2, a3, k->mult + ic, k->shift + ic, off, lo4, hi4);
        memcpy(y + ic, &v, 4);
    }
}
#undef MCU_DWI_ASM_TAP
#undef MCU_DWI_T0
#undef MCU_DWI_T1
#undef MCU_DWI_T2
#undef MCU_DWI_ROW
#undef MCU_DWI_NEXT
#undef MCU_DWI_ROWS
#undef MCU_DWI_R3
#undef MCU_DWI_R2

/* 1 when mcu_dw_inplace_px3x3f applies to the layer's channels [0, n4): a bias and every
   shift in [-31, -1] (mcu_mm_out4_neg). */
static int32_t mcu_dw_inplace_fast_ok(const mcu_quant_pc *q, const int32_t *bias, int32_t n4)
{
    return bias != NULL && mcu_mm_out4_neg_ok(q->shift, n4);
}
#endif

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
#if defined(MCU_DSP_DW)
    const int32_t fast = mult == 1 && k_h == 3 && k_w == 3 && p->dilation.w == 1 && in_c >= 4
                         && mcu_dw_inplace_fast_ok(q, bias, in_c & ~3);
    mcu_dwi_ctx fk;
    fk.off2 = (int32_t)(((uint32_t)p->input_offset << 16)
                        | ((uint32_t)p->input_offset & 0xffffu));
    fk.off = p->output_offset;
    fk.lo4 = 0x01010101u * ((uint32_t)p->act_min & 0xffu);
    fk.hi4 = 0x01010101u * ((uint32_t)p->act_max & 0xffu);
    fk.n4 = in_c & ~3;
    fk.c = out_c;
    fk.rs = p->dilation.h * in_w * in_c;
    fk.mult = q->multiplier;
    fk.shift = q->shift;
    fk.bias = bias;
#endif

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
#if defined(MCU_DSP_DW)
        if (fast && ky_hi > ky_lo && kx_hi > kx_lo) {
            ic = in_c & ~3;
            mcu_dw_inplace_px3x3f(
                &fk, in_b + ((size_t)(y0 + ky_lo * dh) * in_w + (x0 + kx_lo)) * in_c,
                filter + ((size_t)ky_lo * 3 + kx_lo) * out_c, out_px, ky_hi - ky_lo,
                kx_hi - kx_lo);
        } else if (mult == 1 && k_h == 3 && k_w == 3 && ky_hi > ky_lo && kx_hi > kx_lo
                   && in_c >= 4) {
            ic = in_c & ~3;
            mcu_dw_inplace_px3x3(
                in_b + ((size_t)(y0 + ky_lo * dh) * in_w + (x0 + kx_lo * dw)) * in_c,
                filter + ((size_t)ky_lo * 3 + kx_lo) * out_c, out_px, ic, dw * in_c,
                dh * in_w * in_c, p, q, bias, out_c, ky_hi - ky_lo, kx_hi - kx_lo);
        }
        if (mult == 1) {

            /* DSP cores: four channels per 32-bit word; SXTAB16 widens input channels
               (c0, c2) and (c1, c3) with the offset added, SXTB16 the weights, and
               SMLABB / SMLATT accumulate each channel's exact product in its own int32 */
            const int32_t off2 = (int32_t)(((uint32_t)p->input_offset << 16)
                                           | ((uint32_t)p->input_offset & 0xffffu));
            for (; ic + 4 <= in_c; ic += 4) {
                int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                if (bias != NULL) {
                    a0 = bias[ic];
                    a1 = bias[ic + 1];
                    a2 = bias[ic + 2];
                    a3 = bias[ic + 3];
                }
                if (k_w == 3 && kx_lo == 0 && kx_hi == 3) { /* whole 3-wide window rows */
                    const size_t xs = (size_t)dw * in_c;
                    for (ky = ky_lo; ky < ky_hi; ++ky) {
                        const int8_t *row =
                            in_b + ((size_t)(y0 + ky * dh) * in_w + x0) * in_c + ic;
                        const int8_t *wrow = filter + (size_t)ky * 3 * out_c + ic;
                        MCU_DW_INPLACE_TAP(row, wrow);
                        MCU_DW_INPLACE_TAP(row + xs, wrow + out_c);
                        MCU_DW_INPLACE_TAP(row + 2 * xs, wrow + 2 * out_c);
                    }
                } else {
                for (ky = ky_lo; ky < ky_hi; ++ky) {
                    const int8_t *row = in_b + (size_t)(y0 + ky * dh) * in_w * in_c + ic;
                    const int8_t *wrow = filter + (size_t)ky * k_w * out_c + ic;
                    for (kx = kx_lo; kx < kx_hi; ++kx) {
                        const uint32_t x = mcu_dsp_ld4(row + (size_t)(x0 + kx * dw) * in_c);
                        const uint32_t w = mcu_dsp_ld4(wrow + (size_t)kx * out_c);
                        const int32_t x02 = mcu_dsp_sxtab16(off2, x);
                        const int32_t x13 = mcu_dsp_sxtab16_ror8(off2, x);
                        const int32_t w02 = mcu_dsp_sxtb16(w);
                        const int32_t w13 = mcu_dsp_sxtb16_ror8(w);
                        a0 = __smlabb(x02, w02, a0);
                        a2 = __smlatt(x02, w02, a2);
                        a1 = __smlabb(x13, w13, a1);
                        a3 = __smlatt(x13, w13, a3);
                    }
                }
                }
                {
                    int32_t acc[4];
                    uint32_t v;
                    acc[0] = a0;
                    acc[1] = a1;
                    acc[2] = a2;
                    acc[3] = a3;
                    if (mcu_mm_out4(acc, q->multiplier + ic, q->shift + ic, p->output_offset,
                                    p->act_min, p->act_max, &v)) {
                        memcpy(out_px + ic, &v, 4);
                        continue;
                    }
                }
                out_px[ic] = mcu_dsp_out(a0, q->multiplier[ic], q->shift[ic], p->output_offset,
                                         p->act_min, p->act_max);
                out_px[ic + 1] = mcu_dsp_out(a1, q->multiplier[ic + 1], q->shift[ic + 1],
                                             p->output_offset, p->act_min, p->act_max);
                out_px[ic + 2] = mcu_dsp_out(a2, q->multiplier[ic + 2], q->shift[ic + 2],
                                             p->output_offset, p->act_min, p->act_max);
                out_px[ic + 3] = mcu_dsp_out(a3, q->multiplier[ic + 3], q->shift[ic + 3],
                                             p->output_offset, p->act_min, p->act_max);
            }
        }
#endif
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
