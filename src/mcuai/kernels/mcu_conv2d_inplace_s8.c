/*
 * mcu_conv2d_inplace_s8 - int8 2-D convolution (any window, stride, dilation, padding, groups),
 * NHWC input, OHWI filter, per-channel requantization, whose output may overlap its input.
 *
 * Rule (TFLite reference_integer_ops::ConvPerChannel, as mcu_conv2d_s8):
 *   acc[o]  = bias[o] + sum_{ky,kx,ci} (in[y,x,g*Cg+ci] + input_offset) * w[o,ky,kx,ci]
 *             over taps inside the image (padding taps contribute nothing, i.e. read zp_in),
 *             y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w,
 *             g = o / (Cout/groups), Cg = filter channels = Cin/groups; bias may be NULL;
 *   out[o]  = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max).
 * Overflow: |in + input_offset| <= 255 and |w| <= 128, so each product is <= 32640 and the
 *   sum of K = Kh*Kw*Cg products fits int32 for K <= 65793 (TFLite makes the same assumption,
 *   bias included).
 * col: scratch of Kh*Kw*Cin int16 for one group (the window of one output pixel, input offset
 *   applied, 0 for padding taps: (zp_in + input_offset) = 0 as in the reference; taps of each
 *   group of 4 in the order 0, 2, 1, 3); NULL for grouped convolutions, which take the direct
 *   loop. On cores with the DSP extension (unless MCU_PORTABLE) and a word-aligned col, the
 *   full groups of the column are the words of a 1-column buffer of mcu_dsp_mm.h: the window
 *   is gathered by mcu_mm_col_push (SXTAB16 adds the offset to 4 values at a time) and the
 *   products run in mcu_dsp_mm's assembly loops, 4 filter rows per pass (mcu_mm_kern41, then
 *   mcu_mm_kern21 for the last 1-3 rows), two products per SMLAD. Window rows of whole
 *   groups of 4 values (Kw*Cin % 4 == 0, dilation_w 1, e.g. a first layer on 1 channel with
 *   Kw = 4) become their column words directly (mcu_conv_inplace_gather_rows4). With a
 *   bias, no K % 4 tail and every shift a right shift (checked once per layer), each group
 *   of 4 channels is kern41 then mcu_mm_out4_neg (one asm block). Otherwise the K % 4 tail
 *   and the requantization: 4 channels at a time by mcu_mm_out4 (mcu_dsp_mm.h: the two-SMLAL
 *   rounding with its constants made in registers, SSAT, byte-wise SSUB8/SEL clamp) when the
 *   4 shifts are right shifts, else mcu_mm_rq / mcu_mm_requantize per channel. SMLAD adds
 *   modulo 2^32 like the int32 sum, each pair |v*w| <= 2*255*128 is exact: the same accumulator
 *   whenever the reference does not overflow. The gather of pixel q completes before any
 *   byte of q is written, so the contract below holds unchanged.
 *   1x1 windows (one group) on DSP cores: col must hold MCU_MM_COLS_BYTES(Cin, 2) bytes (the
 *   generator reserves that much): two pixels per pass (pixels q, q+1 forward; q, q-1
 *   backward) as in mcu_conv2d_s8: both windows gathered into a 2-column buffer before
 *   either pixel is written, then mcu_mm_conv_rows (2 pixels x 2 channels per pass, the fused
 *   assembly requantization of mcu_mm_rows22 when it applies). Safe at the offsets below:
 *   they already let pixel q's own reads follow writes up to the end of pixel q, so when the
 *   pair is written, every input byte still to be read (by later pairs) lies beyond it.
 *
 * In-place contract (mcuai.memory.overlap relies on it; keep it when optimising this file):
 *   output pixels q = (n*Hout + oy)*Wout + ox are produced one after the other, in increasing
 *   order (backward == 0) or decreasing order (backward != 0); while pixel q is produced the
 *   kernel reads only the input pixels inside q's window (the taps above) and writes only the
 *   Cout bytes of pixel q. Therefore, in one buffer:
 *   - forward: `out` may lie D bytes below `in` (in == (const int8_t *)out + D) whenever
 *       D >= max over q of ((q + 1)*Cout - m(q)*Cin),
 *     m(q) = the smallest input pixel index (n*H + y)*W + x read by any output pixel >= q:
 *     every byte written for pixel q then lies below every input byte still to be read;
 *   - backward: `out` may lie E bytes above `in` (out == (int8_t *)in + E) whenever
 *       E >= max over q of ((M(q) + 1)*Cin - q*Cout),
 *     M(q) = the largest input pixel index read by any output pixel <= q.
 *   Separate buffers are of course fine too. No restrict qualifiers.
 */
#include <string.h>

#include "mcu_conv2d_inplace_s8.h"
#include "mcu_dsp_mm.h"

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
#include <arm_acle.h>
#endif

/* Slot of tap t in the column: within each full group of 4 taps the order is 0, 2, 1, 3, so
   that the 32-bit words (col[4g], col[4g+1]) and (col[4g+2], col[4g+3]) hold the pairs that
   SXTB16 of the 4 weights (and of the weights rotated by 8 bits) produce; the tail is plain. */
#define MCU_COL_SLOT(t, quads) \
    ((t) < 4 * (quads) ? ((t) & ~3) + (((t) & 1) << 1) + (((t) >> 1) & 1) : (t))

#if defined(MCU_DSP_MM)
/* Windows of at most this many values with Cin % 4 != 0 are gathered on the stack first. */
#define MCU_CONV_INPLACE_PATCH 128

/* The window at (y0, x0) of image in_b into column cn of an ncols-column buffer of
   mcu_dsp_mm.h (word aligned; a 1-column buffer has the words of the layout above): the full
   groups through mcu_dsp_mm's column builder (SXTAB16 adds the offset 4 values at a time when
   the pushed run allows it), window rows pushed whole when they are contiguous in NHWC; the
   K % 4 tail as int16 after the groups (int16_tail, the layout above) or as mcu_mm_col_end's
   int32 words. Only the window's input pixels are read. */
static void mcu_conv_inplace_gather_n(int32_t *cols, int32_t ncols, int32_t cn,
                                      const mcu_conv_params *p, const mcu_dims *in_dims,
                                      const int8_t *in_b, const mcu_dims *f_dims, int32_t y0,
                                      int32_t x0, int32_t int16_tail)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t quads = (k_h * k_w * in_c) >> 2;
    mcu_mm_col c;
    int32_t ky, kx, j;
    mcu_mm_col_init(&c, cols, ncols, cn);
    if ((in_c & 3) != 0 && k_h * k_w * in_c <= MCU_CONV_INPLACE_PATCH) {
        /* small Cin (e.g. a first layer): the window's bytes on the stack (the zero point for
           padding taps: x + input_offset = 0 as in the reference; whole window rows copied
           a word at a time when they lie inside the image), then pushed 4 at a time */
        int8_t patch[MCU_CONV_INPLACE_PATCH];
        const int32_t k = k_h * k_w * in_c, row = k_w * in_c;
        const int8_t zp = (int8_t)-p->input_offset;
        int8_t *d = patch;
        int32_t i;
        for (ky = 0; ky < k_h; ++ky, d += row) {
            const int32_t y = y0 + ky * p->dilation.h;
            if (y < 0 || y >= in_h) {
                memset(d, zp, (size_t)row);
            } else if (p->dilation.w == 1 && x0 >= 0 && x0 + k_w <= in_w) {
                const int8_t *src = in_b + ((size_t)y * in_w + x0) * in_c;
                for (i = 0; i + 4 <= row; i += 4) {
                    uint32_t v = mcu_mm_ld4(src + i);
                    __asm__("" : "+r"(v)); /* no memcpy call for 4 bytes */
                    memcpy(d + i, &v, 4);
                }
                for (; i < row; ++i) {
                    d[i] = src[i];
                }
            } else if (p->dilation.w == 1) {
                /* a row clipped by the image's left or right edge: zero points outside,
                   the in-image bytes [lo, hi) copied */
                const int32_t kx_lo = x0 < 0 ? -x0 : 0;
                const int32_t kx_hi = in_w - x0 < k_w ? in_w - x0 : k_w;
                const int32_t lo = kx_lo * in_c;
                const int32_t hi = kx_hi > kx_lo ? kx_hi * in_c : lo;
                for (i = 0; i < lo; ++i) {
                    d[i] = zp;
                }
                if (hi > lo) {
                    const int8_t *src = in_b + ((size_t)y * in_w + (x0 + kx_lo)) * in_c;
                    for (; i < hi; ++i) {
                        d[i] = src[i - lo];
                    }
                }
                for (; i < row; ++i) {
                    d[i] = zp;
                }
            } else {
                for (kx = 0; kx < k_w; ++kx) {
                    const int32_t x = x0 + kx * p->dilation.w;
                    const int inside = x >= 0 && x < in_w;
                    const int8_t *src = in_b + ((size_t)y * in_w + (inside ? x : 0)) * in_c;
                    for (i = 0; i < in_c; ++i) {
                        d[kx * in_c + i] = inside ? src[i] : zp;
                    }
                }
            }
        }
        mcu_mm_col_push(&c, patch, k & ~3, p->input_offset);
        mcu_mm_col_push(&c, patch + (k & ~3), k & 3, p->input_offset);
    } else {
    for (ky = 0; ky < k_h; ++ky) {
        const int32_t y = y0 + ky * p->dilation.h;
        if (y < 0 || y >= in_h) {
            mcu_mm_col_zeros(&c, k_w * in_c);
            continue;
        }
        if (p->dilation.w == 1 && x0 >= 0 && x0 + k_w <= in_w) {
            mcu_mm_col_push(&c, in_b + ((size_t)y * in_w + x0) * in_c, k_w * in_c,
                            p->input_offset);
            continue;
        }
        for (kx = 0; kx < k_w; ++kx) {
            const int32_t x = x0 + kx * p->dilation.w;
            if (x < 0 || x >= in_w) {
                mcu_mm_col_zeros(&c, in_c);
            } else {
                mcu_mm_col_push(&c, in_b + ((size_t)y * in_w + x) * in_c, in_c,
                                p->input_offset);
            }
        }
    }
    }
    if (!int16_tail) {
        mcu_mm_col_end(&c, cols, ncols, cn, k_h * k_w * in_c);
        return;
    }
    for (j = 0; j < c.n; ++j) { /* the tail, plain int16 */
        ((int16_t *)(void *)cols)[4 * quads + j] = (int16_t)c.v[j];
    }
}

/* The window at (y0, x0) into a 1-column buffer when every window row is whole groups of 4
   values (Kw*Cin % 4 == 0, at most MCU_CONV_INPLACE_PATCH bytes) and dilation_w is 1: each
   group of 4 input bytes becomes its 2 column words directly (SXTAB16 adds the offset to
   bytes (0, 2) and, rotated, to (1, 3): the slot order 0, 2, 1, 3 of the layout above); rows
   outside the image are zero words (x + input_offset = 0 for the zero point); a row clipped
   by the left or right edge is first copied with zero points into a row buffer. Reads only
   the window's input pixels. */
/* n groups of 4 bytes at src (any alignment) into 2n column words at cw (SXTAB16 adds the
   offset, off2 in both halves); returns cw + 2n. */
MCU_INLINE int32_t *mcu_conv_inplace_words(int32_t *cw, const int8_t *src, int32_t n,
                                           int32_t off2)
{
    do {
        const uint32_t v = mcu_mm_ld4(src);
        int32_t a, b;
        __asm__("sxtab16 %0, %2, %3\n\tsxtab16 %1, %2, %3, ror #8"
                : "=&r"(a), "=&r"(b)
                : "r"(off2), "r"(v));
        cw[0] = a;
        cw[1] = b;
        cw += 2;
        src += 4;
    } while (--n > 0);
    return cw;
}

__attribute__((noinline)) static void mcu_conv_inplace_gather_rows4(
    int32_t *cw, const mcu_conv_params *p, const mcu_dims *in_dims, const int8_t *in_b,
    const mcu_dims *f_dims, int32_t y0, int32_t x0)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, row = k_w * in_c, dh = p->dilation.h;
    const int32_t off2 = (int32_t)(((uint32_t)p->input_offset << 16)
                                   | ((uint32_t)p->input_offset & 0xffffu));
    const int32_t kx_lo = x0 < 0 ? -x0 : 0;
    const int32_t kx_hi = in_w - x0 < k_w ? in_w - x0 : k_w;
    const int32_t lo = kx_lo * in_c;
    const int32_t hi = kx_hi > kx_lo ? kx_hi * in_c : lo;
    const int32_t clipped = lo > 0 || hi < row;
    const uint32_t zp4 = 0x01010101u * ((uint32_t)-p->input_offset & 0xffu);
    const int32_t rstep = dh * in_w * in_c; /* input bytes between window rows */
    /* byte offset in the image of the first in-image value of window row ky (integer
       arithmetic: it is used only for rows inside the image) */
    int32_t at = (y0 * in_w + x0 + kx_lo) * in_c;
    int8_t buf[MCU_CONV_INPLACE_PATCH];
    int32_t ky, i, y = y0;
    for (ky = 0; ky < k_h; ++ky, y += dh, at += rstep) {
        const int8_t *src;
        if ((uint32_t)y >= (uint32_t)in_h) { /* y < 0 or y >= in_h */
            for (i = 0; i < row; i += 4, cw += 2) {
                cw[0] = 0;
                cw[1] = 0;
            }
            continue;
        }
        src = in_b + at;
        if (clipped) { /* zero points, then the in-image bytes (short loops, no libcalls) */
            for (i = 0; i < row; i += 4) {
                memcpy(buf + i, &zp4, 4);
            }
            for (i = lo; i < hi; ++i) {
                __asm__("" : "+r"(i)); /* keeps the loop a loop (no memcpy call) */
                buf[i] = src[i - lo];
            }
            src = buf;
        }
        cw = mcu_conv_inplace_words(cw, src, row >> 2, off2);
    }
}

static void mcu_conv_inplace_gather(int16_t *col, const mcu_conv_params *p,
                                    const mcu_dims *in_dims, const int8_t *in_b,
                                    const mcu_dims *f_dims, int32_t y0, int32_t x0)
{
    const int32_t row = f_dims->w * in_dims->c;
    if ((row & 3) == 0 && row <= MCU_CONV_INPLACE_PATCH && p->dilation.w == 1) {
        mcu_conv_inplace_gather_rows4((int32_t *)(void *)col, p, in_dims, in_b, f_dims, y0, x0);
        return;
    }
    mcu_conv_inplace_gather_n((int32_t *)(void *)col, 1, 0, p, in_dims, in_b, f_dims, y0, x0,
                              1);
}

/* Four (or fewer, n) output channels o.. of one pixel from the gathered column. */
MCU_INLINE void mcu_conv_inplace_out(int32_t acc[4], int32_t n, int32_t o,
                                     const mcu_conv_params *p, const mcu_quant_pc *q,
                                     int8_t *out_px)
{
    int32_t i;
    if (n == 4) {
        uint32_t v;
        if (mcu_mm_out4(acc, q->multiplier + o, q->shift + o, p->output_offset, p->act_min,
                        p->act_max, &v)) {
            memcpy(out_px + o, &v, 4);
            return;
        }
    }
    for (i = 0; i < n; ++i) {
        const int32_t shift = q->shift[o + i];
        int32_t r;
        if (shift < 0) { /* the merged roundings of mcu_dsp_mm.h: two SMLALs */
            mcu_mm_rq rq;
            mcu_mm_rq_init(&rq, q->multiplier[o + i], shift);
            r = mcu_mm_rq_apply(acc[i], &rq);
        } else {
            r = mcu_mm_requantize(acc[i], q->multiplier[o + i], shift);
        }
        out_px[o + i] = (int8_t)mcu_clamp(r + p->output_offset, p->act_min, p->act_max);
    }
}
/* Every output channel of one pixel from its gathered column (1-column layout, int16 tail):
   a function of its own so that its loop keeps its values in registers. */
__attribute__((noinline)) static void mcu_conv_inplace_rows(const int16_t *col, int32_t taps,
                                                            const int8_t *filter, int32_t out_c,
                                                            const int32_t *bias,
                                                            const mcu_conv_params *p,
                                                            const mcu_quant_pc *q,
                                                            int8_t *out_px, int32_t neg31)
{
    const int32_t quads = taps >> 2;
    const int32_t *cw = (const int32_t *)(const void *)col;
    const int16_t *ct = col + 4 * quads;
    int32_t o, t;
    if (neg31 && bias != NULL && 4 * quads == taps) {
        /* every shift in [-31, -1] (checked once per layer), a bias and no K % 4 tail:
           kern41 then the four channels' requantization in one asm block (mcu_mm_out4_neg) */
        const int32_t off = p->output_offset;
        const uint32_t lo4 = 0x01010101u * ((uint32_t)p->act_min & 0xffu);
        const uint32_t hi4 = 0x01010101u * ((uint32_t)p->act_max & 0xffu);
        const int8_t *w_o = filter;
        for (o = 0; o + 4 <= out_c; o += 4, w_o += (size_t)4 * taps) {
            int32_t acc[5];
            uint32_t v;
            acc[0] = bias[o];
            acc[1] = bias[o + 1];
            acc[2] = bias[o + 2];
            acc[3] = bias[o + 3];
            acc[4] = quads;
            mcu_mm_kern41(acc, w_o, taps, cw);
            v = mcu_mm_out4_neg(acc[0], acc[1], acc[2], acc[3], q->multiplier + o, q->shift + o,
                                off, lo4, hi4);
            memcpy(out_px + o, &v, 4);
        }
    } else {
        o = 0;
    }
    for (; o + 4 <= out_c; o += 4) {
        const int8_t *w_o = filter + (size_t)o * taps;
        int32_t acc[5];
        if (bias != NULL) {
            acc[0] = bias[o];
            acc[1] = bias[o + 1];
            acc[2] = bias[o + 2];
            acc[3] = bias[o + 3];
        } else {
            acc[0] = acc[1] = acc[2] = acc[3] = 0;
        }
        acc[4] = quads;
        mcu_mm_kern41(acc, w_o, taps, cw);
        for (t = 4 * quads; t < taps; ++t) {
            const int32_t v = ct[t - 4 * quads];
            acc[0] += v * (int32_t)w_o[t];
            acc[1] += v * (int32_t)w_o[(size_t)taps + t];
            acc[2] += v * (int32_t)w_o[(size_t)2 * taps + t];
            acc[3] += v * (int32_t)w_o[(size_t)3 * taps + t];
        }
        mcu_conv_inplace_out(acc, 4, o, p, q, out_px);
    }
    if (o < out_c) {
        /* pairs: (o, o+1), then (o+2, o+2) for a last odd channel */
        const int32_t n = out_c - o;
        const int8_t *w_o = filter + (size_t)o * taps;
        int32_t acc[4], a2[3], r;
        a2[0] = bias != NULL ? bias[o] : 0;
        a2[1] = bias != NULL && n > 1 ? bias[o + 1] : 0;
        a2[2] = quads;
        mcu_mm_kern21(a2, w_o, n > 1 ? w_o + taps : w_o, cw);
        acc[0] = a2[0];
        acc[1] = a2[1];
        acc[2] = acc[3] = 0;
        if (n == 3) {
            a2[0] = a2[1] = bias != NULL ? bias[o + 2] : 0;
            a2[2] = quads;
            mcu_mm_kern21(a2, w_o + 2 * taps, w_o + 2 * taps, cw);
            acc[2] = a2[0];
        }
        for (t = 4 * quads; t < taps; ++t) {
            const int32_t v = ct[t - 4 * quads];
            for (r = 0; r < n; ++r) {
                acc[r] += v * (int32_t)w_o[(size_t)r * taps + t];
            }
        }
        mcu_conv_inplace_out(acc, n, o, p, q, out_px);
    }
}
#endif

void mcu_conv2d_inplace_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                           const mcu_dims *in_dims, const int8_t *in,
                           const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                           const mcu_dims *out_dims, int8_t *out, int32_t backward,
                           int16_t *col)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, k_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / k_c;
    const int32_t per_group = out_c / groups;
    const int32_t pixels = out_dims->n * out_h * out_w;
    const int32_t taps = k_h * k_w * k_c;
    const int32_t quads = taps / 4;
    int32_t i, o, ky, kx, ci, t;
#if defined(MCU_DSP_MM)
    const int32_t neg_all = mcu_mm_neg_shifts(q->shift, out_c);
    const int32_t neg31 = mcu_mm_out4_neg_ok(q->shift, out_c);
#endif

#if defined(MCU_DSP_MM)
    if (col != NULL && ((uintptr_t)col & 3u) == 0 && k_h == 1 && k_w == 1 && groups == 1) {
        /* 1x1 windows, col of MCU_MM_COLS_BYTES(Cin, 2) bytes: two pixels per pass (both
           windows gathered before either is written), mcu_mm_conv_rows as in
           mcu_conv2d_s8 (2 pixels x 2 channels per SMLAD pass, fused requantization) */
        int32_t *cols = (int32_t *)(void *)col;
        const int32_t neg = neg_all;
        for (i = 0; i < pixels; i += 2) {
            const int32_t n2 = i + 1 < pixels ? 2 : 1;
            int32_t pxs[2], c;
            pxs[0] = backward ? pixels - 1 - i : i;
            pxs[1] = backward ? pxs[0] - 1 : pxs[0] + 1;
            for (c = 0; c < n2; ++c) {
                const int32_t pix = pxs[c];
                const int32_t b = pix / (out_h * out_w);
                const int32_t y0 = ((pix / out_w) % out_h) * p->stride.h - p->padding.h;
                const int32_t x0 = (pix % out_w) * p->stride.w - p->padding.w;
                mcu_conv_inplace_gather_n(cols, n2, c, p, in_dims,
                                          in + (size_t)b * in_h * in_w * in_c, f_dims, y0, x0,
                                          0);
            }
            mcu_mm_conv_rows(cols, n2, filter, taps, out_c, bias, p, q,
                             out + (size_t)pxs[0] * out_c,
                             n2 == 2 ? out + (size_t)pxs[1] * out_c : NULL, neg);
        }
        return;
    }
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
#if defined(MCU_DSP_MM)
        if (col != NULL && ((uintptr_t)col & 3u) == 0) {
            /* one group on DSP cores: the window gathered (mcu_mm_col_*), then the assembly
               inner loops of mcu_dsp_mm: 4 filter rows per pass (kern41), then pairs (kern21),
               the K % 4 tail in C; the same products and int32 sums as the loop below */
            mcu_conv_inplace_gather(col, p, in_dims, in_b, f_dims, y0, x0);
            mcu_conv_inplace_rows(col, taps, filter, out_c, bias, p, q, out_px, neg31);
            continue;
        }
#endif
        if (col != NULL) {
            /* one group: gather the window once (input + offset, 0 on padding taps), then
               every output channel is a plain dot product with its filter row */
            t = 0;
            for (ky = 0; ky < k_h; ++ky) {
                const int32_t y = y0 + ky * p->dilation.h;
                for (kx = 0; kx < k_w; ++kx) {
                    const int32_t x = x0 + kx * p->dilation.w;
                    const int32_t inside = y >= 0 && y < in_h && x >= 0 && x < in_w;
                    const int8_t *px = in_b + ((size_t)(inside ? y : 0) * in_w
                                               + (size_t)(inside ? x : 0)) * in_c;
                    for (ci = 0; ci < in_c; ++ci, ++t) {
                        col[MCU_COL_SLOT(t, quads)] =
                            (int16_t)(inside ? (int32_t)px[ci] + p->input_offset : 0);
                    }
                }
            }
            o = 0;
#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
            for (; o + 2 <= out_c; o += 2) { /* two output channels per pass over the column */
                const int8_t *wa = filter + (size_t)o * taps;
                const int8_t *wb = wa + taps;
                int32_t acc_a = 0, acc_b = 0;
                int32_t r;
                for (t = 0; t < quads; ++t) {
                    uint32_t w4a, w4b;
                    int32_t c02, c13;
                    memcpy(&c02, col + 4 * t, 4);
                    memcpy(&c13, col + 4 * t + 2, 4);
                    memcpy(&w4a, wa + 4 * t, 4);
                    memcpy(&w4b, wb + 4 * t, 4);
                    acc_a = __smlad(c02, (int32_t)__sxtb16(w4a), acc_a);
                    acc_a = __smlad(c13, (int32_t)__sxtb16((w4a >> 8) | (w4a << 24)), acc_a);
                    acc_b = __smlad(c02, (int32_t)__sxtb16(w4b), acc_b);
                    acc_b = __smlad(c13, (int32_t)__sxtb16((w4b >> 8) | (w4b << 24)), acc_b);
                }
                for (t = 4 * quads; t < taps; ++t) {
                    acc_a += (int32_t)col[t] * (int32_t)wa[t];
                    acc_b += (int32_t)col[t] * (int32_t)wb[t];
                }
                if (bias != NULL) {
                    acc_a += bias[o];
                    acc_b += bias[o + 1];
                }
                r = mcu_requantize(acc_a, q->multiplier[o], q->shift[o]) + p->output_offset;
                out_px[o] = (int8_t)mcu_clamp(r, p->act_min, p->act_max);
                r = mcu_requantize(acc_b, q->multiplier[o + 1], q->shift[o + 1])
                    + p->output_offset;
                out_px[o + 1] = (int8_t)mcu_clamp(r, p->act_min, p->act_max);
            }
#endif
            for (; o < out_c; ++o) {
                const int8_t *w_o = filter + (size_t)o * taps;
                int32_t acc = 0;
#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
                for (t = 0; t < quads; ++t) {
                    uint32_t w4;
                    int32_t c02, c13;
                    memcpy(&w4, w_o + 4 * t, 4);
                    memcpy(&c02, col + 4 * t, 4);
                    memcpy(&c13, col + 4 * t + 2, 4);
                    acc = __smlad(c02, (int32_t)__sxtb16(w4), acc);
                    acc = __smlad(c13, (int32_t)__sxtb16((w4 >> 8) | (w4 << 24)), acc);
                }
#else
                for (t = 0; t < quads; ++t) {
                    const int16_t *c4 = col + 4 * t;
                    const int8_t *w4 = w_o + 4 * t;
                    acc += (int32_t)c4[0] * w4[0] + (int32_t)c4[1] * w4[2];
                    acc += (int32_t)c4[2] * w4[1] + (int32_t)c4[3] * w4[3];
                }
#endif
                for (t = 4 * quads; t < taps; ++t) {
                    acc += (int32_t)col[t] * (int32_t)w_o[t];
                }
                if (bias != NULL) {
                    acc += bias[o];
                }
                acc = mcu_requantize(acc, q->multiplier[o], q->shift[o]) + p->output_offset;
                out_px[o] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
            }
            continue;
        }
        for (o = 0; o < out_c; ++o) {
            const int32_t c0 = (o / per_group) * k_c;
            const int8_t *w_o = filter + (size_t)o * taps;
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
                        acc += ((int32_t)px[ci] + p->input_offset) * (int32_t)pw[ci];
                    }
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
