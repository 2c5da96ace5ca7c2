/*
 * mcu_dwconv2d_s8 - int8 depthwise 2-D convolution, NHWC input, filter [1, Kh, Kw, Cout]
 * with Cout = Cin * ch_mult, per-channel requantization (generic: any window, stride,
 * dilation, padding and channel multiplier).
 *
 * Math: real = scale * (q - zp); output channel o = c * ch_mult + m reads input channel c.
 * Rule (TFLite reference_integer_ops::DepthwiseConvPerChannel, checked bit-exact against
 * LiteRT BUILTIN_REF):
 *   acc[o] = bias[o] + sum_{ky,kx} (in[y, x, o / ch_mult] + input_offset) * w[ky, kx, o]
 *            over taps inside the image (padding taps contribute nothing, i.e. read zp_in),
 *            y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w;
 *   out[o] = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max)
 *   with requantize = MultiplyByQuantizedMultiplier (mcu_nn.h); bias may be NULL.
 * Cortex-M DSP extension (__ARM_FEATURE_DSP, not MCU_PORTABLE; ch_mult 1): channels in
 *   groups of four per 32-bit word, x + input_offset formed in 16-bit lanes by SXTAB16 (exact:
 *   |x + input_offset| <= 255), SMLABB/SMLATT into the same int32 accumulators, then
 *   mcu_dsp_requantize's exact SMLAL form (mcu_dsp_dw.h); the C mod 4 last channels keep the
 *   portable loop. Helium (__ARM_FEATURE_MVE, Cortex-M55; ch_mult 1): four channels per
 *   int32x4 vector, tail-predicated, the same sums, mcu_mve_requantize.
 * Overflow: |in + input_offset| <= 255 and |w| <= 128, so each product is <= 32640 and the
 *   Kh*Kw products fit int32 for windows up to 65793 taps; the bias adds |bias| < 2^31 as in
 *   TFLite (in practice < 2^24).
 */
#include "mcu_dwconv2d_s8.h"
#include "mcu_dsp_dw.h"

#if defined(MCU_MVE_DW)
/* Helium path (channel multiplier 1), four channels per int32x4 vector, groups outermost, the
 * last C mod 4 channels in one tail-predicated group (VCTP): per output pixel, the in-image
 * taps (a contiguous range per window row) add (x + input_offset) * w with VLDRB.S32 widening
 * loads, VADD, VMUL + VADD (the portable path's exact int32 sums); mcu_mve_requantize, clamp,
 * VSTRB narrowing store. Handles every channel. */
static void dw_mve(const mcu_conv_params *p, const mcu_quant_pc *q, const mcu_dims *in_dims,
                   const int8_t *in, const mcu_dims *f_dims, const int8_t *filter,
                   const int32_t *bias, const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t dh = p->dilation.h, dw = p->dilation.w;
    const size_t row = (size_t)in_w * (size_t)ch;
    const size_t xstep = (size_t)dw * (size_t)ch;
    const int32x4_t offv = vdupq_n_s32(p->input_offset);
    const int32x4_t outv = vdupq_n_s32(p->output_offset);
    const int32x4_t lov = vdupq_n_s32(p->act_min), hiv = vdupq_n_s32(p->act_max);
    int32_t b, oy, ox, c, ky, kx;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * row;
        int8_t *out_b = out + (size_t)b * (size_t)out_h * (size_t)out_w * (size_t)ch;
        for (c = 0; c < ch; c += 4) {
            const mve_pred16_t pr = vctp32q((uint32_t)(ch - c));
            const int full = c + 4 <= ch; /* unpredicated loads for whole groups */
            const int32x4_t biasv = bias != NULL ? vldrwq_z_s32(bias + c, pr) : vdupq_n_s32(0);
            const int32x4_t mv = vldrwq_z_s32(q->multiplier + c, pr);
            const int32x4_t sv = vldrwq_z_s32(q->shift + c, pr);
            int8_t *o = out_b + c;
            for (oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * p->stride.h - p->padding.h;
                const int32_t ky0 = y0 < 0 ? (-y0 + dh - 1) / dh : 0;
                const int32_t kyl = y0 > in_h - 1 ? -1 : (in_h - 1 - y0) / dh;
                const int32_t ky1 = kyl + 1 < k_h ? kyl + 1 : k_h;
                for (ox = 0; ox < out_w; ++ox, o += ch) {
                    const int32_t x0 = ox * p->stride.w - p->padding.w;
                    const int32_t kx0 = x0 < 0 ? (-x0 + dw - 1) / dw : 0;
                    const int32_t kxl = x0 > in_w - 1 ? -1 : (in_w - 1 - x0) / dw;
                    const int32_t kx1 = kxl + 1 < k_w ? kxl + 1 : k_w;
                    int32x4_t acc = biasv;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *xr = in_b + (size_t)(y0 + ky * dh) * row
                                           + (size_t)(x0 + kx0 * dw) * (size_t)ch + c;
                        const int8_t *wr = filter + ((size_t)ky * (size_t)k_w + (size_t)kx0)
                                                        * (size_t)ch + c;
                        if (full) {
                            for (kx = kx0; kx < kx1; ++kx, xr += xstep, wr += ch) {
                                const int32x4_t xv = vaddq_s32(vldrbq_s32(xr), offv);
                                acc = vaddq_s32(acc, vmulq_s32(xv, vldrbq_s32(wr)));
                            }
                        } else {
                            for (kx = kx0; kx < kx1; ++kx, xr += xstep, wr += ch) {
                                const int32x4_t xv = vaddq_s32(vldrbq_z_s32(xr, pr), offv);
                                acc = vaddq_s32(acc, vmulq_s32(xv, vldrbq_z_s32(wr, pr)));
                            }
                        }
                    }
                    acc = vaddq_s32(mcu_mve_requantize(acc, mv, sv), outv);
                    vstrbq_p_s32(o, vminq_s32(vmaxq_s32(acc, lov), hiv), pr);
                }
            }
        }
    }
}
#endif

#if defined(MCU_DSP_DW) && !defined(MCU_MVE_DW)
/* First tap index k in [0, n) with o + k*d inside [0, size), and one past the last (the
 * in-image taps of a window row/column are contiguous). */
MCU_INLINE void dw_tap_range(int32_t o, int32_t d, int32_t n, int32_t size, int32_t *k0,
                             int32_t *k1)
{
    const int32_t first = o < 0 ? (-o + d - 1) / d : 0;
    const int32_t last = o > size - 1 ? -1 : (size - 1 - o) / d; /* last k with o + k*d < size */
    *k0 = first;
    *k1 = last + 1 < n ? last + 1 : n;
}

/* DSP path for the channel groups of four (channel multiplier 1), groups outermost: per output
 * pixel, the in-image taps (a contiguous range per window row) each add one word of input made
 * (x + input_offset) in 16-bit lanes by SXTAB16 times one word of weights sign-extended by
 * SXTB16, by SMLABB/SMLATT into four int32 accumulators: the same products and sums as the
 * portable path. Requantization with the constants of mcu_dsp_rq_init when the group's shifts
 * are negative (mcu_dsp_rq_pack4), else mcu_dsp_out. Returns the number of channels done (a
 * multiple of four). */
static int32_t dw_dsp_groups(const mcu_conv_params *p, const mcu_quant_pc *q,
                             const mcu_dims *in_dims, const int8_t *in, const mcu_dims *f_dims,
                             const int8_t *filter, const int32_t *bias,
                             const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t dh = p->dilation.h, dw = p->dilation.w;
    const int32_t off2 = (int32_t)(((uint32_t)p->input_offset & 0xffffu)
                                   | ((uint32_t)p->input_offset << 16));
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const uint32_t lo4 = (uint32_t)(uint8_t)(int8_t)lo * 0x01010101u;
    const uint32_t hi4 = (uint32_t)(uint8_t)(int8_t)hi * 0x01010101u;
    const size_t row = (size_t)in_w * (size_t)ch;
    const size_t xstep = (size_t)dw * (size_t)ch;
    const int32_t ch4 = ch & ~3;
    int32_t b, oy, ox, c, ky, kx, ky0, ky1, kx0, kx1;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * row;
        int8_t *out_b = out + (size_t)b * (size_t)out_h * (size_t)out_w * (size_t)ch;
        for (c = 0; c < ch4; c += 4) {
            const int32_t b0 = bias != NULL ? bias[c] : 0, b1 = bias != NULL ? bias[c + 1] : 0;
            const int32_t b2 = bias != NULL ? bias[c + 2] : 0, b3 = bias != NULL ? bias[c + 3] : 0;
            mcu_dsp_rq rq[4];
            const int fast = mcu_dsp_rq_init(&rq[0], q->multiplier[c], q->shift[c])
                             & mcu_dsp_rq_init(&rq[1], q->multiplier[c + 1], q->shift[c + 1])
                             & mcu_dsp_rq_init(&rq[2], q->multiplier[c + 2], q->shift[c + 2])
                             & mcu_dsp_rq_init(&rq[3], q->multiplier[c + 3], q->shift[c + 3]);
            int8_t *o = out_b + c;
            for (oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * p->stride.h - p->padding.h;
                dw_tap_range(y0, dh, k_h, in_h, &ky0, &ky1);
                for (ox = 0; ox < out_w; ++ox, o += ch) {
                    const int32_t x0 = ox * p->stride.w - p->padding.w;
                    int32_t a0 = b0, a1 = b1, a2 = b2, a3 = b3;
                    dw_tap_range(x0, dw, k_w, in_w, &kx0, &kx1);
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *xr = in_b + (size_t)(y0 + ky * dh) * row
                                           + (size_t)(x0 + kx0 * dw) * (size_t)ch + c;
                        const int8_t *wr = filter + ((size_t)ky * (size_t)k_w + (size_t)kx0)
                                                        * (size_t)ch + c;
                        for (kx = kx0; kx < kx1; ++kx, xr += xstep, wr += ch) {
                            const uint32_t xw = mcu_dsp_ld4(xr), ww = mcu_dsp_ld4(wr);
                            const int32_t x02 = mcu_dsp_sxtab16(off2, xw);
                            const int32_t x13 = mcu_dsp_sxtab16_ror8(off2, xw);
                            const int32_t w02 = mcu_dsp_sxtb16(ww);
                            const int32_t w13 = mcu_dsp_sxtb16_ror8(ww);
                            a0 = __smlabb(x02, w02, a0);
                            a1 = __smlabb(x13, w13, a1);
                            a2 = __smlatt(x02, w02, a2);
                            a3 = __smlatt(x13, w13, a3);
                        }
                    }
                    if (fast) {
                        uint32_t v = mcu_dsp_rq_pack4(a0, a1, a2, a3, rq, out_off);
                        v = mcu_dsp_min4(mcu_dsp_max4(v, lo4), hi4);
                        memcpy(o, &v, 4);
                    } else {
                        o[0] = mcu_dsp_out(a0, q->multiplier[c], q->shift[c], out_off, lo, hi);
                        o[1] = mcu_dsp_out(a1, q->multiplier[c + 1], q->shift[c + 1], out_off,
                                           lo, hi);
                        o[2] = mcu_dsp_out(a2, q->multiplier[c + 2], q->shift[c + 2], out_off,
                                           lo, hi);
                        o[3] = mcu_dsp_out(a3, q->multiplier[c + 3], q->shift[c + 3], out_off,
                                           lo, hi);
                    }
                }
            }
        }
    }
    return ch4;
}
#endif

void mcu_dwconv2d_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                     const mcu_dims *in_dims, const int8_t *in,
                     const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                     const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t mult = p->ch_mult;
    int32_t b, oy, ox, ic, m, ky, kx;
    int32_t ic0 = 0;

#if defined(MCU_MVE_DW)
    if (mult == 1) {
        dw_mve(p, q, in_dims, in, f_dims, filter, bias, out_dims, out);
        return;
    }
#elif defined(MCU_DSP_DW)
    if (mult == 1) {
        ic0 = dw_dsp_groups(p, q, in_dims, in, f_dims, filter, bias, out_dims, out);
    }
#endif
    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (ic = ic0; ic < in_c; ++ic) {
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
                                       * (int32_t)filter[((size_t)ky * k_w + kx) * out_c + o];
                            }
                        }
                        if (bias != NULL) {
                            acc += bias[o];
                        }
                        acc = mcu_requantize(acc, q->multiplier[o], q->shift[o])
                              + p->output_offset;
                        out[o] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                    }
                }
                out += out_c;
            }
        }
    }
}
