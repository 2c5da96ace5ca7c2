/*
 * mcu_dwconv2d_3x3_s8 - int8 depthwise convolution specialised for a 3x3 window with
 * dilation 1 (any stride, padding and channel multiplier), NHWC input, filter [1, 3, 3, Cout]
 * with Cout = Cin * ch_mult, per-channel requantization.
 *
 * Filter layout (mcuai.lower.repack_dw.pack_dw3x3, same 9*Cout bytes): channel-group order.
 *   Output channels in groups of four; group g holds its 9 taps (k = 3*ky + kx) one after the
 *   other, four bytes each: packed[36*g + 4*k + j] = w[ky, kx, 4*g + j]; the T = Cout mod 4
 *   last channels follow tap by tap: packed[36*G + T*k + j] = w[ky, kx, 4*G + j].
 *
 * Math: real = scale * (q - zp); output channel o = c * ch_mult + m reads input channel c.
 * Rule: TFLite reference_integer_ops::DepthwiseConvPerChannel (bit-exact with LiteRT
 * BUILTIN_REF), rearranged exactly:
 *   sum_taps (x + input_offset) * w = input_offset * sum_taps w + sum_taps x * w,
 * where a padding tap reads x = zp_in = -input_offset and so contributes 0 as in the
 * reference. The caller passes the folded bias
 *   bias[o] = bias_model[o] + input_offset * sum_{ky,kx} w[ky, kx, o]   (never NULL),
 * computed at generation time; then
 *   acc[o] = bias[o] + sum_{ky,kx} x'[y, x, o / ch_mult] * w[ky, kx, o],
 *            x' = the input inside the image, zp_in outside,
 *   out[o] = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max).
 * Inner pixels (whole window inside the image) take an unrolled path without bounds checks.
 * Cortex-M DSP extension (__ARM_FEATURE_DSP, not MCU_PORTABLE; ch_mult 1): four channels per
 *   32-bit word, SXTB16 + SMLABB/SMLATT (exact 16x16 products into the same int32
 *   accumulators) and the SMLAL requantization of mcu_dsp_dw.h, bit-exact with the portable
 *   path. Helium (__ARM_FEATURE_MVE, Cortex-M55; ch_mult 1): four channels per int32x4 vector,
 *   VMUL + VADD, VQRDMULH/VRSHL requantization (mcu_mve_requantize), equally exact.
 * Overflow: 9 products |x * w| <= 16384 sum to < 2^18; acc equals the reference accumulator
 *   (the same int32 value whenever the reference's does not overflow).
 */
#include "mcu_dwconv2d_3x3_s8.h"
#include "mcu_dsp_dw.h"

/* Tap 0 of output channel o in the packed filter (channel-group order, see the header comment);
 * its next taps follow every 4 bytes (every C mod 4 bytes for the last C mod 4 channels). */
#define MCU_DW3X3_TAP0(filter, o, c4) \
    ((o) < (c4) ? (filter) + 9 * ((o) & ~3) + ((o) & 3) : (filter) + 9 * (c4) + ((o) - (c4)))

#if defined(MCU_MVE_DW)
/* Accumulates the 3x3 window of one output pixel for channels c..c+3 (padding taps multiply
 * zp_in); x_ok(t) tells whether tap t is inside the image. */
#define DW3X3_MVE_WINDOW(LOAD_X, LOAD_W)                                                         \
    do {                                                                                         \
        for (ky = 0; ky < 3; ++ky) {                                                             \
            const int32_t y = y0 + ky;                                                           \
            for (kx = 0; kx < 3; ++kx) {                                                         \
                const int32_t xx = x0 + kx;                                                      \
                const int32x4_t xv = (y < 0 || y >= in_h || xx < 0 || xx >= in_w)               \
                    ? padv                                                                       \
                    : LOAD_X(in_b + (size_t)y * row + (size_t)xx * (size_t)ch + c);              \
                acc = vaddq_s32(acc, vmulq_s32(xv, LOAD_W(3 * ky + kx)));                        \
            }                                                                                    \
        }                                                                                        \
    } while (0)

/* Helium path (channel multiplier 1), channel groups outermost: four channels per int32x4
 * vector (VLDRB.S32 widening loads, VMUL + VADD: the same exact int32 sums as the portable
 * path), inner pixels with the nine taps at constant offsets, border pixels multiplying zp_in
 * for padding taps; the last C mod 4 channels in one tail-predicated group (VCTP);
 * mcu_mve_requantize, clamp, VSTRB narrowing store. */
static void dw3x3_mve(const mcu_conv_params *p, const mcu_quant_pc *q, const mcu_dims *in_dims,
                      const int8_t *in, const int8_t *filter, const int32_t *bias,
                      const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t sh = p->stride.h, sw = p->stride.w, ph = p->padding.h, pw = p->padding.w;
    const int32_t ch4 = ch & ~3, tail = ch - ch4;
    const size_t row = (size_t)in_w * (size_t)ch;
    const int32x4_t padv = vdupq_n_s32(-p->input_offset);
    const int32x4_t offv = vdupq_n_s32(p->output_offset);
    const int32x4_t lov = vdupq_n_s32(p->act_min), hiv = vdupq_n_s32(p->act_max);
    int32_t b, oy, ox, c, ky, kx;
    int32_t toff[9]; /* input byte offset of tap (ky, kx) from the window's top-left pixel */

    for (ky = 0; ky < 3; ++ky) {
        for (kx = 0; kx < 3; ++kx) {
            toff[3 * ky + kx] = ky * (int32_t)row + kx * ch;
        }
    }
    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * row;
        int8_t *out_b = out + (size_t)b * (size_t)out_h * (size_t)out_w * (size_t)ch;
        for (c = 0; c < ch4; c += 4) {
            const int8_t *w = filter + 9 * c;
            const int32x4_t biasv = vldrwq_s32(bias + c);
            const int32x4_t mv = vldrwq_s32(q->multiplier + c);
            const int32x4_t sv = vldrwq_s32(q->shift + c);
            int8_t *o = out_b + c;
            for (oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * sh - ph;
                const int rows_in = y0 >= 0 && y0 + 3 <= in_h;
                for (ox = 0; ox < out_w; ++ox, o += ch) {
                    const int32_t x0 = ox * sw - pw;
                    int32x4_t acc = biasv;
                    if (rows_in && x0 >= 0 && x0 + 3 <= in_w) {
                        const int8_t *x = in_b + (size_t)y0 * row + (size_t)x0 * (size_t)ch + c;
                        int32_t t;
                        for (t = 0; t < 9; ++t) {
                            acc = vaddq_s32(acc, vmulq_s32(vldrbq_s32(x + toff[t]),
                                                           vldrbq_s32(w + 4 * t)));
                        }
                    } else {
#define DW3X3_LX(ptr) vldrbq_s32(ptr)
#define DW3X3_LW(t) vldrbq_s32(w + 4 * (t))
                        DW3X3_MVE_WINDOW(DW3X3_LX, DW3X3_LW);
#undef DW3X3_LX
#undef DW3X3_LW
                    }
                    acc = mcu_mve_requantize(acc, mv, sv);
                    vstrbq_s32(o, vminq_s32(vmaxq_s32(vaddq_s32(acc, offv), lov), hiv));
                }
            }
        }
        if (tail > 0) {
            const mve_pred16_t pr = vctp32q((uint32_t)tail);
            const int8_t *w = filter + 9 * ch4;
            const int32x4_t biasv = vldrwq_z_s32(bias + c, pr);
            const int32x4_t mv = vldrwq_z_s32(q->multiplier + c, pr);
            const int32x4_t sv = vldrwq_z_s32(q->shift + c, pr);
            int8_t *o = out_b + c;
            for (oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * sh - ph;
                for (ox = 0; ox < out_w; ++ox, o += ch) {
                    const int32_t x0 = ox * sw - pw;
                    int32x4_t acc = biasv;
#define DW3X3_LX(ptr) vldrbq_z_s32(ptr, pr)
#define DW3X3_LW(t) vldrbq_z_s32(w + tail * (t), pr)
                    DW3X3_MVE_WINDOW(DW3X3_LX, DW3X3_LW);
#undef DW3X3_LX
#undef DW3X3_LW
                    acc = mcu_mve_requantize(acc, mv, sv);
                    vstrbq_p_s32(o, vminq_s32(vmaxq_s32(vaddq_s32(acc, offv), lov), hiv), pr);
                }
            }
        }
    }
}
#undef DW3X3_MVE_WINDOW
#endif

#if defined(MCU_DSP_DW) && !defined(MCU_MVE_DW)
/* What a run of inner pixels of one channel group needs, in one struct so that the run loop
 * reads it through one pointer with constant offsets (LDRD pairs). */
typedef struct {
    int32_t wx[18];       /* per tap: SXTB16 and SXTB16 ROR 8 of the packed weight word */
    int32_t bias[4];      /* folded bias */
    mcu_dsp_rq rq[4];
    int32_t ch, row;      /* input channel and row strides in bytes */
    int32_t step;         /* input bytes between two output pixels (stride_w * ch) */
    int32_t rowstep;      /* input bytes between two output rows (stride_h * row) */
    int32_t orowstep;     /* output bytes between two output rows (out_w * ch) */
    int32_t out_off;
    uint32_t lo4, hi4;    /* clamp bounds, four equal bytes */
    int32_t unfolded[4];  /* the model's bias (folded bias - input_offset * sum(w)) */
    int32_t off2;         /* input_offset in both 16-bit halves */
    int32_t in_h, in_w;
    uint32_t pad4;        /* four zp_in bytes: what a padding tap reads */
} dw3x3_run_ctx;

/* The asm blocks below address the context with these constant offsets. */
typedef char dw3x3_run_ctx_layout[(offsetof(dw3x3_run_ctx, bias) == 72
                                   && offsetof(dw3x3_run_ctx, rq) == 88
                                   && offsetof(dw3x3_run_ctx, row) == 156
                                   && offsetof(dw3x3_run_ctx, unfolded) == 184)
                                      ? 1
                                      : -1];

/* The nine taps of one inner pixel for four channels, as one asm block so that the compiler
 * keeps everything in registers: acc = bias + sum_t x_t * w_t with x at x + ky*row + kx*ch,
 * each tap one LDR (unaligned), SXTB16 / SXTB16 ROR 8, one LDRD of the pre-extended weight
 * pair, SMLABB/SMLATT (exact 16x16 products) into the four accumulators: the portable path's
 * sums. wb points to dw3x3_run_ctx.wx (18 words) followed by its bias (4 words). */
#define DW3X3_ASM_TAP(LOAD, WOFF)                                                                \
    LOAD "\n\t"                                                                                  \
    "ldrd %[t2], %[t3], [%[wb], #" WOFF "]\n\t"                                                  \
    "sxtb16 %[t1], %[t0], ror #8\n\t"                                                            \
    "sxtb16 %[t0], %[t0]\n\t"                                                                    \
    "smlabb %[a0], %[t0], %[t2], %[a0]\n\t"                                                      \
    "smlatt %[a2], %[t0], %[t2], %[a2]\n\t"                                                      \
    "smlabb %[a1], %[t1], %[t3], %[a1]\n\t"                                                      \
    "smlatt %[a3], %[t1], %[t3], %[a3]\n\t"

MCU_INLINE void dw3x3_mac9(const int8_t *x, int32_t ch, int32_t row, const int32_t *wb,
                           int32_t *r0, int32_t *r1, int32_t *r2, int32_t *r3)
{
    int32_t a0, a1, a2, a3, t0, t1, t2, t3;
    __asm__("ldrd %[a0], %[a1], [%[wb], #72]\n\t"
            "ldrd %[a2], %[a3], [%[wb], #80]\n\t"
            DW3X3_ASM_TAP("ldr %[t0], [%[x]]", "0")
            DW3X3_ASM_TAP("ldr %[t0], [%[x], %[ch]]", "8")
            DW3X3_ASM_TAP("ldr %[t0], [%[x], %[ch], lsl #1]", "16")
            "add %[x], %[x], %[row]\n\t"
            DW3X3_ASM_TAP("ldr %[t0], [%[x]]", "24")
            DW3X3_ASM_TAP("ldr %[t0], [%[x], %[ch]]", "32")
            DW3X3_ASM_TAP("ldr %[t0], [%[x], %[ch], lsl #1]", "40")
            "add %[x], %[x], %[row]\n\t"
            DW3X3_ASM_TAP("ldr %[t0], [%[x]]", "48")
            DW3X3_ASM_TAP("ldr %[t0], [%[x], %[ch]]", "56")
            DW3X3_ASM_TAP("ldr %[t0], [%[x], %[ch], lsl #1]", "64")
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [t0] "=&r"(t0),
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [x] "+r"(x)
            : [ch] "r"(ch), [row] "r"(row), [wb] "r"(wb)
            : "memory");
    *r0 = a0;
    *r1 = a1;
    *r2 = a2;
    *r3 = a3;
}
#undef DW3X3_ASM_TAP

/* A rectangle of ny x nx inner pixels (whole window inside the image): x is the input at the
 * top-left tap of the first pixel (channel c), o its output (channel c). Requires all four
 * shifts of the group negative. */
__attribute__((noinline)) static void dw3x3_rect(const dw3x3_run_ctx *k, const int8_t *x,
                                                 int8_t *o, int32_t ny, int32_t nx)
{
    const int32_t ch = k->ch;
    for (; ny > 0; --ny, x += k->rowstep, o += k->orowstep) {
        const int8_t *xp = x;
        int8_t *op = o;
        int32_t n;
        for (n = nx; n > 0; --n, xp += k->step, op += ch) {
            int32_t a0, a1, a2, a3;
            dw3x3_mac9(xp, ch, k->row, k->wx, &a0, &a1, &a2, &a3);
            {
                uint32_t v = mcu_dsp_rq_pack4(a0, a1, a2, a3, k->rq, k->out_off);
                v = mcu_dsp_min4(mcu_dsp_max4(v, k->lo4), k->hi4);
                memcpy(op, &v, 4);
            }
        }
    }
}

/* The border-pixel taps: bit t of m says whether tap t (3*ky + kx) is inside the image; such
 * a tap adds (x + input_offset) * w (SXTAB16 with off2 = input_offset in both halves), the
 * others are skipped; the accumulators start from the model's bias (k->unfolded). */
#define DW3X3_ASM_BTAP(LOAD, WOFF)                                                               \
    "lsrs %[m], %[m], #1\n\t"                                                                    \
    "bcc 1f\n\t" LOAD "\n\t"                                                                     \
    "ldrd %[t2], %[t3], [%[wb], #" WOFF "]\n\t"                                                  \
    "sxtab16 %[t1], %[off2], %[t0], ror #8\n\t"                                                  \
    "sxtab16 %[t0], %[off2], %[t0]\n\t"                                                          \
    "smlabb %[a0], %[t0], %[t2], %[a0]\n\t"                                                      \
    "smlatt %[a2], %[t0], %[t2], %[a2]\n\t"                                                      \
    "smlabb %[a1], %[t1], %[t3], %[a1]\n\t"                                                      \
    "smlatt %[a3], %[t1], %[t3], %[a3]\n"                                                        \
    "1:\n\t"

/* One border pixel (window partly outside the image) of a channel group; x is the image
 * address of tap 0 (it may lie outside the image: only in-image taps are read). Requires
 * all four shifts of the group negative. */
MCU_INLINE void dw3x3_border(const dw3x3_run_ctx *k, const int8_t *x, int8_t *o, uint32_t m)
{
    int32_t a0, a1, a2, a3, t0, t1, t2, t3;
    __asm__("ldrd %[a0], %[a1], [%[wb], #184]\n\t"
            "ldrd %[a2], %[a3], [%[wb], #192]\n\t"
            DW3X3_ASM_BTAP("ldr %[t0], [%[x]]", "0")
            DW3X3_ASM_BTAP("ldr %[t0], [%[x], %[ch]]", "8")
            DW3X3_ASM_BTAP("ldr %[t0], [%[x], %[ch], lsl #1]", "16")
            "ldr %[t0], [%[wb], #156]\n\t"
            "add %[x], %[x], %[t0]\n\t"
            DW3X3_ASM_BTAP("ldr %[t0], [%[x]]", "24")
            DW3X3_ASM_BTAP("ldr %[t0], [%[x], %[ch]]", "32")
            DW3X3_ASM_BTAP("ldr %[t0], [%[x], %[ch], lsl #1]", "40")
            "ldr %[t0], [%[wb], #156]\n\t"
            "add %[x], %[x], %[t0]\n\t"
            DW3X3_ASM_BTAP("ldr %[t0], [%[x]]", "48")
            DW3X3_ASM_BTAP("ldr %[t0], [%[x], %[ch]]", "56")
            DW3X3_ASM_BTAP("ldr %[t0], [%[x], %[ch], lsl #1]", "64")
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [t0] "=&r"(t0),
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [x] "+r"(x), [m] "+r"(m)
            : [ch] "r"(k->ch), [wb] "r"(k->wx), [off2] "r"(k->off2)
            : "cc", "memory");
    {
        uint32_t v = mcu_dsp_rq_pack4(a0, a1, a2, a3, k->rq, k->out_off);
        v = mcu_dsp_min4(mcu_dsp_max4(v, k->lo4), k->hi4);
        memcpy(o, &v, 4);
    }
}
#undef DW3X3_ASM_BTAP

/* The DSP path's requantization needs right shifts (multipliers below 1/2); other layers
 * (rare) take the portable loops. */
static int dw3x3_dsp_ok(const mcu_quant_pc *q, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (q->shift[i] >= 0) {
            return 0;
        }
    }
    return 1;
}

/* DSP path (channel multiplier 1), channel groups outermost: the requantization constants of
 * four channels are prepared once per group (mcu_dsp_rq). Inner pixels read each tap as one
 * unaligned word of input (four channels) and one of weights (constant offsets in the packed
 * group), SXTB16 + SMLABB/SMLATT into four int32 accumulators starting from the folded bias:
 * exactly the sums of the portable path. Border pixels visit only their in-image taps with
 * x + input_offset formed by SXTAB16 and start from the model's bias, recovered per group as
 * folded bias - input_offset * sum(w) (int32 wrap-around undoes the fold exactly): the
 * reference's own sum. The C mod 4 last channels take a scalar loop. Requires every shift
 * negative (dw3x3_dsp_ok). */
static void dw3x3_dsp(const mcu_conv_params *p, const mcu_quant_pc *q, const mcu_dims *in_dims,
                      const int8_t *in, const int8_t *filter, const int32_t *bias,
                      const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t sh = p->stride.h, sw = p->stride.w, ph = p->padding.h, pw = p->padding.w;
    const int32_t in_off = p->input_offset, pad_value = -in_off;
    const int32_t off2 = (int32_t)(((uint32_t)in_off & 0xffffu) | ((uint32_t)in_off << 16));
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const size_t row = (size_t)in_w * (size_t)ch;
    const size_t step = (size_t)sw * (size_t)ch;
    const int32_t ch4 = ch & ~3, tail = ch - ch4;
    const int8_t *wtail = filter + 9 * ch4;
    /* inner columns: x0 = ox*sw - pw >= 0 and x0 + 3 <= in_w */
    const int32_t ox_lo = (pw + sw - 1) / sw;
    const int32_t ox_hi = in_w - 3 + pw >= 0 ? (in_w - 3 + pw) / sw + 1 : 0; /* exclusive */
    const int32_t ox_end = ox_hi < out_w ? ox_hi : out_w;
    const int32_t oy_lo = (ph + sh - 1) / sh;
    const int32_t oy_hi = in_h - 3 + ph >= 0 ? (in_h - 3 + ph) / sh + 1 : 0; /* exclusive */
    const int32_t oy_end = oy_hi < out_h ? oy_hi : out_h;
    int32_t b, oy, ox, c, ky, kx, j;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * row;
        int8_t *out_b = out + (size_t)b * (size_t)out_h * (size_t)out_w * (size_t)ch;
        for (c = 0; c < ch4; c += 4) {
            const int8_t *w = filter + 9 * c;
            const int32_t b0 = bias[c], b1 = bias[c + 1], b2 = bias[c + 2], b3 = bias[c + 3];
            dw3x3_run_ctx kc;
            int32_t *wx = kc.wx;
            mcu_dsp_rq *rq = kc.rq;
            int8_t *o = out_b + c;
            for (j = 0; j < 4; ++j) {
                (void)mcu_dsp_rq_init(&rq[j], q->multiplier[c + j], q->shift[c + j]);
            }
            kc.bias[0] = b0;
            kc.bias[1] = b1;
            kc.bias[2] = b2;
            kc.bias[3] = b3;
            kc.ch = ch;
            kc.row = (int32_t)row;
            kc.step = (int32_t)step;
            kc.rowstep = sh * (int32_t)row;
            kc.orowstep = out_w * ch;
            kc.out_off = out_off;
            kc.lo4 = (uint32_t)(uint8_t)(int8_t)lo * 0x01010101u;
            kc.hi4 = (uint32_t)(uint8_t)(int8_t)hi * 0x01010101u;
            for (j = 0; j < 9; ++j) {
                wx[2 * j] = mcu_dsp_sxtb16(mcu_dsp_ld4(w + 4 * j));
                wx[2 * j + 1] = mcu_dsp_sxtb16_ror8(mcu_dsp_ld4(w + 4 * j));
            }
            for (j = 0; j < 4; ++j) {
                uint32_t sum = 0;
                int32_t k;
                for (k = 0; k < 9; ++k) {
                    sum += (uint32_t)(int32_t)w[4 * k + j];
                }
                kc.unfolded[j] = (int32_t)((uint32_t)bias[c + j] - (uint32_t)in_off * sum);
            }
            kc.off2 = off2;
            kc.pad4 = (uint32_t)(uint8_t)(int8_t)pad_value * 0x01010101u;
            kc.in_h = in_h;
            kc.in_w = in_w;
            {
                if (oy_lo < oy_end && ox_lo < ox_end) {
                    dw3x3_rect(&kc,
                               in_b + (size_t)(oy_lo * sh - ph) * row
                                   + (size_t)(ox_lo * sw - pw) * (size_t)ch + c,
                               o + ((size_t)oy_lo * (size_t)out_w + (size_t)ox_lo) * (size_t)ch,
                               oy_end - oy_lo, ox_end - ox_lo);
                }
                for (oy = 0; oy < out_h; ++oy) {
                    const int row_inner = oy >= oy_lo && oy < oy_end;
                    const int32_t y0 = oy * sh - ph;
                    /* taps inside the image: bit 3*ky + kx */
                    const uint32_t rows = (y0 >= 0 && y0 < in_h ? 7u : 0u)
                                          | (y0 + 1 >= 0 && y0 + 1 < in_h ? 0x38u : 0u)
                                          | (y0 + 2 >= 0 && y0 + 2 < in_h ? 0x1c0u : 0u);
                    for (ox = 0; ox < out_w; ++ox) {
                        int32_t x0;
                        uint32_t cols;
                        if (row_inner && ox >= ox_lo && ox < ox_end) {
                            ox = ox_end - 1;
                            continue;
                        }
                        x0 = ox * sw - pw;
                        cols = (x0 >= 0 && x0 < in_w ? 0x49u : 0u)
                               | (x0 + 1 >= 0 && x0 + 1 < in_w ? 0x92u : 0u)
                               | (x0 + 2 >= 0 && x0 + 2 < in_w ? 0x124u : 0u);
                        /* tap 0's address, possibly outside the image: integer arithmetic */
                        dw3x3_border(&kc,
                                     (const int8_t *)((uintptr_t)(in_b + c)
                                                      + (uintptr_t)(intptr_t)(y0 * (int32_t)row
                                                                              + x0 * ch)),
                                     o + ((size_t)oy * (size_t)out_w + (size_t)ox) * (size_t)ch,
                                     rows & cols);
                    }
                }
            }
        }
        for (c = ch4; c < ch; ++c) {
            const int8_t *wt = wtail + (c - ch4);
            int8_t *o = out_b + c;
            for (oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * sh - ph;
                for (ox = 0; ox < out_w; ++ox, o += ch) {
                    const int32_t x0 = ox * sw - pw;
                    int32_t acc = bias[c];
                    for (ky = 0; ky < 3; ++ky) {
                        const int32_t y = y0 + ky;
                        for (kx = 0; kx < 3; ++kx) {
                            const int32_t xx = x0 + kx;
                            const int32_t xv = (y < 0 || y >= in_h || xx < 0 || xx >= in_w)
                                ? pad_value
                                : (int32_t)in_b[(size_t)y * row + (size_t)xx * (size_t)ch + c];
                            acc += xv * wt[(3 * ky + kx) * tail];
                        }
                    }
                    *o = mcu_dsp_out(acc, q->multiplier[c], q->shift[c], out_off, lo, hi);
                }
            }
        }
    }
}
#endif

void mcu_dwconv2d_3x3_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                         const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t mult = p->ch_mult;
    const int32_t pad_value = -p->input_offset;
    const size_t row = (size_t)in_w * in_c;
    const int32_t out_c4 = out_c & ~3, tail = out_c - out_c4;
    int32_t b, oy, ox, ic, m, ky, kx;
    (void)f_dims;

#if defined(MCU_MVE_DW)
    if (mult == 1) {
        dw3x3_mve(p, q, in_dims, in, filter, bias, out_dims, out);
        return;
    }
#elif defined(MCU_DSP_DW)
    if (mult == 1 && dw3x3_dsp_ok(q, out_c)) {
        dw3x3_dsp(p, q, in_dims, in, filter, bias, out_dims, out);
        return;
    }
#endif

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * row;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                if (y0 >= 0 && y0 + 3 <= in_h && x0 >= 0 && x0 + 3 <= in_w) {
                    const int8_t *r0 = in_b + (size_t)y0 * row + (size_t)x0 * in_c;
                    const int8_t *r1 = r0 + row;
                    const int8_t *r2 = r1 + row;
                    int32_t o = 0;
                    for (ic = 0; ic < in_c; ++ic) {
                        const int32_t a0 = r0[ic], a1 = r0[in_c + ic], a2 = r0[2 * in_c + ic];
                        const int32_t a3 = r1[ic], a4 = r1[in_c + ic], a5 = r1[2 * in_c + ic];
                        const int32_t a6 = r2[ic], a7 = r2[in_c + ic], a8 = r2[2 * in_c + ic];
                        for (m = 0; m < mult; ++m, ++o) {
                            const int8_t *w = MCU_DW3X3_TAP0(filter, o, out_c4);
                            const int32_t st = o < out_c4 ? 4 : tail;
                            int32_t acc = bias[o];
                            acc += a0 * w[0] + a1 * w[st] + a2 * w[2 * st];
                            acc += a3 * w[3 * st] + a4 * w[4 * st] + a5 * w[5 * st];
                            acc += a6 * w[6 * st] + a7 * w[7 * st] + a8 * w[8 * st];
                            acc = mcu_requantize(acc, q->multiplier[o], q->shift[o])
                                  + p->output_offset;
                            out[o] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                        }
                    }
                } else {
                    int32_t o = 0;
                    for (ic = 0; ic < in_c; ++ic) {
                        int32_t a[9];
                        for (ky = 0; ky < 3; ++ky) {
                            const int32_t y = y0 + ky;
                            for (kx = 0; kx < 3; ++kx) {
                                const int32_t x = x0 + kx;
                                a[ky * 3 + kx] = (y < 0 || y >= in_h || x < 0 || x >= in_w)
                                    ? pad_value
                                    : (int32_t)in_b[(size_t)y * row + (size_t)x * in_c + ic];
                            }
                        }
                        for (m = 0; m < mult; ++m, ++o) {
                            const int8_t *w = MCU_DW3X3_TAP0(filter, o, out_c4);
                            const int32_t st = o < out_c4 ? 4 : tail;
                            int32_t acc = bias[o];
                            acc += a[0] * w[0] + a[1] * w[st] + a[2] * w[2 * st];
                            acc += a[3] * w[3 * st] + a[4] * w[4 * st] + a[5] * w[5 * st];
                            acc += a[6] * w[6 * st] + a[7] * w[7 * st] + a[8] * w[8 * st];
                            acc = mcu_requantize(acc, q->multiplier[o], q->shift[o])
                                  + p->output_offset;
                            out[o] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                        }
                    }
                }
                out += out_c;
            }
        }
    }
}
