/*
 * mcu_conv2d_s8 - int8 2-D convolution, NHWC input, OHWI filter, per-channel requantization.
 *
 * Rule (TFLite reference_integer_ops::ConvPerChannel):
 *   acc[o]  = bias[o] + sum_{ky,kx,ci} (in[y,x,g*Cg+ci] + input_offset) * w[o,ky,kx,ci]
 *             over taps inside the image (padding taps contribute nothing, i.e. read zp_in),
 *             y = oy*stride_h - pad_top + ky*dil_h, x = ox*stride_w - pad_left + kx*dil_w,
 *             g = o / (Cout/groups), Cg = filter channels = Cin/groups;
 *   out[o]  = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max).
 * DSP path (Cortex-M4/M7/M33, one group; see mcu_dsp_mm.h): im2col of two output pixels at
 * a time into a 2-column int16 buffer in `scratch` (MCU_MM_COLS_BYTES(Kh*Kw*Cin, 2) bytes,
 * reserved by the generator for every target): each tap's channels plus input_offset
 * (SXTAB16 when Cin % 4 == 0), 0 for padding taps, which is what (zp_in + input_offset)
 * contributes in the reference; then one pass over the weights computes 2 pixels x 2 output
 * channels with SMLAD. Same integer sums, same requantization as the portable loop.
 * Helium path (M55, one group, before the DSP one): the window's bytes (zero point for padding
 * taps) in `scratch` (K <= MCU_MM_COLS_BYTES(K, 2) bytes), 16 products per VMLADAVA and the
 * weight sums by VADDVA, 4 output channels per pass:
 *   acc = bias + input_offset * sum_k w + sum_k window[k] * w, the same integer (padding taps:
 *   (zp_in + input_offset) * w = 0; the weight sum is at most K * 128 in magnitude).
 * Overflow: |in + input_offset| <= 255 and |w| <= 128, so each product is <= 32640 and the
 *   sum of K = Kh*Kw*Cg products fits int32 for K <= 65793; with the bias (|bias| < 2^31 in
 *   principle, in practice < 2^24) TFLite makes the same assumption.
 */
#include <string.h>
#include "mcu_conv2d_s8.h"
#include "mcu_dsp_mm.h"

#if defined(MCU_DSP_MM) && !defined(MCU_MVE_MM)
/* Windows of at most this many values with Cin % 4 != 0 are gathered on the stack first. */
#define MCU_CONV2D_PATCH 128

/* Column c of the im2col buffer for output pixel (b, oy, ox). */
static void mcu_conv2d_col(int32_t *cols, int32_t ncols, int32_t c, const mcu_conv_params *p,
                           const mcu_dims *in_dims, const int8_t *in, const mcu_dims *f_dims,
                           int32_t pixel, const mcu_dims *out_dims, int32_t pad)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t ox = pixel % out_dims->w;
    const int32_t oy = (pixel / out_dims->w) % out_dims->h;
    const int32_t b = pixel / (out_dims->w * out_dims->h);
    const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
    const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
    mcu_mm_col col;
    int32_t ky, kx;
    mcu_mm_col_init(&col, cols, ncols, c);
    if ((in_c & 3) != 0 && f_dims->h * f_dims->w * in_c <= MCU_CONV2D_PATCH) {
        /* small Cin (e.g. an RGB first layer): gather the window's bytes (the zero point for
           padding taps, so that x + input_offset = 0 as in the reference), then widen 4 at a
           time; the window rows are contiguous in NHWC when dilation.w == 1 */
        int8_t patch[MCU_CONV2D_PATCH];
        const int32_t k = f_dims->h * f_dims->w * in_c;
        const int8_t zp = (int8_t)-p->input_offset;
        int8_t *d = patch;
        int32_t i;
        for (ky = 0; ky < f_dims->h; ++ky) {
            const int32_t y = y0 + ky * p->dilation.h;
            const int32_t row = f_dims->w * in_c;
            if (y < 0 || y >= in_h) {
                memset(d, zp, (size_t)row);
            } else if (p->dilation.w == 1 && x0 >= 0 && x0 + f_dims->w <= in_w) {
                const int8_t *s = in_b + ((size_t)y * in_w + x0) * in_c;
                /* words (unaligned LDR/STR are fine); the empty asm keeps gcc from turning
                   these short copies into memcpy calls */
                for (i = 0; i + 4 <= row; i += 4) {
                    uint32_t v = mcu_mm_ld4(s + i);
                    __asm__("" : "+r"(v));
                    memcpy(d + i, &v, 4);
                }
                for (; i < row; ++i) {
                    int32_t v = s[i];
                    __asm__("" : "+r"(v));
                    d[i] = (int8_t)v;
                }
            } else {
                for (kx = 0; kx < f_dims->w; ++kx) {
                    const int32_t x = x0 + kx * p->dilation.w;
                    const int8_t *s = in_b + ((size_t)y * in_w + x) * in_c;
                    const int inside = x >= 0 && x < in_w;
                    for (i = 0; i < in_c; ++i) {
                        d[kx * in_c + i] = inside ? s[i] : zp;
                    }
                }
            }
            d += row;
        }
        if (pad) { /* zeros up to a whole group (mcu_mm_rows22_pad's layout) */
            for (i = k; i < ((k + 3) & ~3); ++i) {
                int32_t v = zp;
                __asm__("" : "+r"(v));
                patch[i] = (int8_t)v;
            }
            mcu_mm_col_push(&col, patch, (k + 3) & ~3, p->input_offset);
            return;
        }
        mcu_mm_col_push(&col, patch, k & ~3, p->input_offset);
        mcu_mm_col_push(&col, patch + (k & ~3), k & 3, p->input_offset);
        mcu_mm_col_end(&col, cols, ncols, c, k);
        return;
    }
    for (ky = 0; ky < f_dims->h; ++ky) {
        const int32_t y = y0 + ky * p->dilation.h;
        for (kx = 0; kx < f_dims->w; ++kx) {
            const int32_t x = x0 + kx * p->dilation.w;
            if (y < 0 || y >= in_h || x < 0 || x >= in_w) {
                mcu_mm_col_zeros(&col, in_c);
            } else {
                mcu_mm_col_push(&col, in_b + ((size_t)y * in_w + x) * in_c, in_c,
                                p->input_offset);
            }
        }
    }
    mcu_mm_col_end(&col, cols, ncols, c, f_dims->h * f_dims->w * in_c);
}
#endif

void mcu_conv2d_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                   const mcu_dims *in_dims, const int8_t *in,
                   const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                   const mcu_dims *out_dims, int8_t *out, void *scratch)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w, k_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / k_c;
    const int32_t per_group = out_c / groups;
    int32_t b, oy, ox, o, ky, kx, ci;
#if defined(MCU_MVE_MM)
    if (groups == 1) {
        /* the window's int8 bytes in scratch (the zero point for padding taps), then
           acc = bias + input_offset * sum(w) + window . w: exact, since a padding tap's
           (zp + input_offset) * w is 0 */
        const int32_t k = k_h * k_w * k_c;
        const int32_t pixels = out_dims->n * out_h * out_w;
        const int8_t zp = (int8_t)-p->input_offset;
        int8_t *patch = (int8_t *)scratch;
        int32_t px, r;
        for (px = 0; px < pixels; ++px) {
            const int32_t ox0 = px % out_w, oy0 = (px / out_w) % out_h, b0 = px / (out_w * out_h);
            const int32_t y0 = oy0 * p->stride.h - p->padding.h;
            const int32_t x0 = ox0 * p->stride.w - p->padding.w;
            const int8_t *in_b = in + (size_t)b0 * in_h * in_w * in_c;
            int8_t *d = patch;
            int8_t *y = out + (size_t)px * out_c;
            int32_t acc[4], ws[4];
            for (ky = 0; ky < k_h; ++ky) {
                const int32_t yy = y0 + ky * p->dilation.h;
                if (yy >= 0 && yy < in_h && p->dilation.w == 1 && x0 >= 0 && x0 + k_w <= in_w) {
                    /* the whole window row is contiguous in NHWC */
                    memcpy(d, in_b + ((size_t)yy * in_w + x0) * in_c, (size_t)(k_w * in_c));
                    d += k_w * in_c;
                    continue;
                }
                for (kx = 0; kx < k_w; ++kx) {
                    const int32_t xx = x0 + kx * p->dilation.w;
                    if (yy < 0 || yy >= in_h || xx < 0 || xx >= in_w) {
                        memset(d, zp, (size_t)in_c);
                    } else {
                        memcpy(d, in_b + ((size_t)yy * in_w + xx) * in_c, (size_t)in_c);
                    }
                    d += in_c;
                }
            }
            for (o = 0; o + 3 < out_c; o += 4) {
                for (r = 0; r < 4; ++r) {
                    acc[r] = bias != NULL ? bias[o + r] : 0;
                    ws[r] = 0;
                }
                mcu_mve_dot4(patch, filter + (size_t)o * k, k, acc, ws);
                for (r = 0; r < 4; ++r) {
                    const int32_t a = acc[r] + p->input_offset * ws[r];
                    y[o + r] = mcu_mm_out(a, q->multiplier[o + r], q->shift[o + r],
                                          p->output_offset, p->act_min, p->act_max);
                }
            }
            for (; o < out_c; ++o) {
                int32_t w_sum = 0;
                int32_t a = mcu_mve_dot1(patch, filter + (size_t)o * k, k,
                                         bias != NULL ? bias[o] : 0, &w_sum);
                a += p->input_offset * w_sum;
                y[o] = mcu_mm_out(a, q->multiplier[o], q->shift[o], p->output_offset,
                                  p->act_min, p->act_max);
            }
        }
        return;
    }
#elif defined(MCU_DSP_MM)
    if (groups == 1) {
        const int32_t k = k_h * k_w * k_c;
        const int32_t pixels = out_dims->n * out_h * out_w;
        int32_t *cols = (int32_t *)scratch;
        const int32_t neg = mcu_mm_neg_shifts(q->shift, out_c);
        int32_t px;
        /* small Cin with K % 4 in {2, 3}: whole groups with zero padding (no larger than the
           tail layout) and the assembly rows */
        const int32_t pad = (in_c & 3) != 0 && k <= MCU_CONV2D_PATCH && (k & 3) >= 2
                            && bias != NULL && neg && out_c >= 3;
        for (px = 0; px < pixels; px += 2) {
            const int32_t two = px + 1 < pixels;
            int8_t *y0 = out + (size_t)px * out_c;
            int8_t *y1 = y0 + out_c;
            if (two && pad) {
                mcu_conv2d_col(cols, 2, 0, p, in_dims, in, f_dims, px, out_dims, 1);
                mcu_conv2d_col(cols, 2, 1, p, in_dims, in, f_dims, px + 1, out_dims, 1);
                mcu_mm_rows22_pad(cols, filter, k, out_c, bias, p, q, y0, y1);
                continue;
            }
            mcu_conv2d_col(cols, 1 + two, 0, p, in_dims, in, f_dims, px, out_dims, 0);
            if (two) {
                mcu_conv2d_col(cols, 2, 1, p, in_dims, in, f_dims, px + 1, out_dims, 0);
            }
            mcu_mm_conv_rows(cols, 1 + two, filter, k, out_c, bias, p, q, y0, y1, neg);
        }
        return;
    }
#else
    (void)scratch;
#endif

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
                                acc += ((int32_t)px[ci] + p->input_offset) * (int32_t)pw[ci];
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
