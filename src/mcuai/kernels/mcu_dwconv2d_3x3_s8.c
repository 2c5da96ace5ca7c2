/*
 * mcu_dwconv2d_3x3_s8 - int8 depthwise convolution specialised for a 3x3 window with
 * dilation 1 (any stride, padding and channel multiplier), NHWC input, filter [1, 3, 3, Cout]
 * with Cout = Cin * ch_mult, per-channel requantization.
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
 * Overflow: 9 products |x * w| <= 16384 sum to < 2^18; acc equals the reference accumulator
 *   (the same int32 value whenever the reference's does not overflow).
 */
#include "mcu_dwconv2d_3x3_s8.h"
#include "mcu_dsp_dw.h"

#if defined(MCU_DSP_DW)
/* DSP path (channel multiplier 1): four channels per step, each tap one unaligned word of
 * input and one of weights, SXTB16 + SMLABB/SMLATT into four int32 accumulators (exactly the
 * sums of the portable path); padding taps read the word of four zp_in bytes. Channels past
 * the last multiple of four take the scalar path. */
static void dw3x3_dsp(const mcu_conv_params *p, const mcu_quant_pc *q, const mcu_dims *in_dims,
                      const int8_t *in, const int8_t *filter, const int32_t *bias,
                      const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const int32_t pad_value = -p->input_offset;
    const uint32_t pad4 = (uint32_t)(uint8_t)(int8_t)pad_value * 0x01010101u;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t *mult = q->multiplier, *shift = q->shift;
    const size_t row = (size_t)in_w * (size_t)ch;
    const int32_t ch4 = ch & ~3;
    int32_t b, oy, ox, c, k;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * row;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                if (y0 >= 0 && y0 + 3 <= in_h && x0 >= 0 && x0 + 3 <= in_w) {
                    const int8_t *r0 = in_b + (size_t)y0 * row + (size_t)x0 * (size_t)ch;
                    for (c = 0; c < ch4; c += 4) {
                        const int8_t *x = r0 + c;
                        const int8_t *w = filter + c;
                        int32_t a0 = bias[c], a1 = bias[c + 1];
                        int32_t a2 = bias[c + 2], a3 = bias[c + 3];
                        for (k = 0; k < 3; ++k) {
                            MCU_DSP_MAC4(a0, a1, a2, a3, mcu_dsp_ld4(x), mcu_dsp_ld4(w));
                            MCU_DSP_MAC4(a0, a1, a2, a3, mcu_dsp_ld4(x + ch),
                                         mcu_dsp_ld4(w + ch));
                            MCU_DSP_MAC4(a0, a1, a2, a3, mcu_dsp_ld4(x + 2 * ch),
                                         mcu_dsp_ld4(w + 2 * ch));
                            x += row;
                            w += 3 * ch;
                        }
                        out[c] = mcu_dsp_out(a0, mult[c], shift[c], out_off, lo, hi);
                        out[c + 1] = mcu_dsp_out(a1, mult[c + 1], shift[c + 1], out_off, lo, hi);
                        out[c + 2] = mcu_dsp_out(a2, mult[c + 2], shift[c + 2], out_off, lo, hi);
                        out[c + 3] = mcu_dsp_out(a3, mult[c + 3], shift[c + 3], out_off, lo, hi);
                    }
                    for (; c < ch; ++c) {
                        const int8_t *x = r0 + c;
                        const int8_t *w = filter + c;
                        int32_t acc = bias[c];
                        for (k = 0; k < 3; ++k) {
                            acc += (int32_t)x[0] * w[0] + (int32_t)x[ch] * w[ch]
                                   + (int32_t)x[2 * ch] * w[2 * ch];
                            x += row;
                            w += 3 * ch;
                        }
                        out[c] = mcu_dsp_out(acc, mult[c], shift[c], out_off, lo, hi);
                    }
                } else {
                    /* offset of each tap's pixel in in_b, or -1 for a padding tap */
                    int32_t tap[9];
                    int32_t ky, kx;
                    for (ky = 0; ky < 3; ++ky) {
                        for (kx = 0; kx < 3; ++kx) {
                            const int32_t y = y0 + ky, xx = x0 + kx;
                            tap[ky * 3 + kx] = (y < 0 || y >= in_h || xx < 0 || xx >= in_w)
                                ? -1 : (int32_t)((size_t)y * row + (size_t)xx * (size_t)ch);
                        }
                    }
                    for (c = 0; c < ch4; c += 4) {
                        int32_t a0 = bias[c], a1 = bias[c + 1];
                        int32_t a2 = bias[c + 2], a3 = bias[c + 3];
                        for (k = 0; k < 9; ++k) {
                            const uint32_t xw = tap[k] < 0 ? pad4 : mcu_dsp_ld4(in_b + tap[k] + c);
                            MCU_DSP_MAC4(a0, a1, a2, a3, xw, mcu_dsp_ld4(filter + k * ch + c));
                        }
                        out[c] = mcu_dsp_out(a0, mult[c], shift[c], out_off, lo, hi);
                        out[c + 1] = mcu_dsp_out(a1, mult[c + 1], shift[c + 1], out_off, lo, hi);
                        out[c + 2] = mcu_dsp_out(a2, mult[c + 2], shift[c + 2], out_off, lo, hi);
                        out[c + 3] = mcu_dsp_out(a3, mult[c + 3], shift[c + 3], out_off, lo, hi);
                    }
                    for (; c < ch; ++c) {
                        int32_t acc = bias[c];
                        for (k = 0; k < 9; ++k) {
                            const int32_t xv = tap[k] < 0 ? pad_value : in_b[tap[k] + c];
                            acc += xv * filter[k * ch + c];
                        }
                        out[c] = mcu_dsp_out(acc, mult[c], shift[c], out_off, lo, hi);
                    }
                }
                out += ch;
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
    const int8_t *w0 = filter, *w1 = filter + out_c, *w2 = filter + 2 * out_c;
    const int8_t *w3 = filter + 3 * out_c, *w4 = filter + 4 * out_c, *w5 = filter + 5 * out_c;
    const int8_t *w6 = filter + 6 * out_c, *w7 = filter + 7 * out_c, *w8 = filter + 8 * out_c;
    int32_t b, oy, ox, ic, m, ky, kx;
    (void)f_dims;

#if defined(MCU_DSP_DW)
    if (mult == 1) {
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
                            int32_t acc = bias[o];
                            acc += a0 * w0[o] + a1 * w1[o] + a2 * w2[o];
                            acc += a3 * w3[o] + a4 * w4[o] + a5 * w5[o];
                            acc += a6 * w6[o] + a7 * w7[o] + a8 * w8[o];
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
                            int32_t acc = bias[o];
                            acc += a[0] * w0[o] + a[1] * w1[o] + a[2] * w2[o];
                            acc += a[3] * w3[o] + a[4] * w4[o] + a[5] * w5[o];
                            acc += a[6] * w6[o] + a[7] * w7[o] + a[8] * w8[o];
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
