/*
 * mcu_conv2d_1x1_s8 - int8 pointwise (1x1) convolution, stride 1, no padding, one group:
 * a matrix product [N*H*W, Cin] x [Cout, Cin]^T with per-channel requantization.
 *
 * Math: real = scale * (q - zp).
 * Rule: TFLite reference_integer_ops::ConvPerChannel (bit-exact with LiteRT BUILTIN_REF),
 * rearranged exactly: every tap is inside the image, so
 *   sum_ci (x + input_offset) * w = input_offset * sum_ci w + sum_ci x * w.
 * The caller passes the folded bias (never NULL), computed at generation time:
 *   bias[o] = bias_model[o] + input_offset * sum_ci w[o, ci];
 * then, for every pixel,
 *   acc[o] = bias[o] + sum_ci x[ci] * w[o, ci],
 *   out[o] = clamp(requantize(acc[o], mult[o], shift[o]) + output_offset, act_min, act_max).
 * The loop computes 2 pixels x 2 output channels per pass (each loaded byte feeds 2 MACs).
 * DSP path (Cortex-M4/M7/M33, see mcu_dsp_mm.h): the two pixels are widened once into a
 * 2-column int16 buffer in `scratch` (MCU_MM_COLS_BYTES(Cin, 2) bytes, reserved by the
 * generator for every target) and each weight word feeds 4 SMLADs (2 pixels x 2 halves); the
 * sums and the requantization are the same integers as the portable loop's.
 * Helium path (M55, before the DSP one): 16 products per VMLADAVA, 4 output channels per
 * pass over a pixel's activations (mcu_dsp_mm.h); same sums.
 * p->stride, p->padding, p->dilation and p->input_offset are not read.
 * Overflow: |x * w| <= 16384, so Cin products fit int32 for Cin <= 131071; acc equals the
 *   reference accumulator whenever that one does not overflow.
 */
#include "mcu_conv2d_1x1_s8.h"
#include "mcu_dsp_mm.h"

MCU_INLINE int8_t mcu_conv1x1_out(int32_t acc, const mcu_conv_params *p,
                                  const mcu_quant_pc *q, int32_t o)
{
    acc = mcu_requantize(acc, q->multiplier[o], q->shift[o]) + p->output_offset;
    return (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
}

void mcu_conv2d_1x1_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                       const mcu_dims *in_dims, const int8_t *in,
                       const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                       const mcu_dims *out_dims, int8_t *out, void *scratch)
{
    const int32_t cin = in_dims->c, cout = out_dims->c;
    const int32_t pixels = out_dims->n * out_dims->h * out_dims->w;
    int32_t px, o, ci;
    (void)f_dims;
#if defined(MCU_MVE_MM)
    (void)scratch;
    for (px = 0; px < pixels; ++px) {
        const int8_t *x0 = in + (size_t)px * cin;
        int8_t *y0 = out + (size_t)px * cout;
        int32_t acc[4], r;
        for (o = 0; o + 3 < cout; o += 4) {
            for (r = 0; r < 4; ++r) {
                acc[r] = bias[o + r];
            }
            mcu_mve_dot4(x0, filter + (size_t)o * cin, cin, acc, NULL);
            for (r = 0; r < 4; ++r) {
                y0[o + r] = mcu_mm_out(acc[r], q->multiplier[o + r], q->shift[o + r],
                                       p->output_offset, p->act_min, p->act_max);
            }
        }
        for (; o < cout; ++o) {
            const int32_t a = mcu_mve_dot1(x0, filter + (size_t)o * cin, cin, bias[o], NULL);
            y0[o] = mcu_conv1x1_out(a, p, q, o);
        }
    }
    return;
#elif defined(MCU_DSP_MM)
    {
        int32_t *cols = (int32_t *)scratch;
        const int32_t neg = mcu_mm_neg_shifts(q->shift, cout);
        mcu_mm_col col;
        for (px = 0; px + 1 < pixels; px += 2) {
            const int8_t *x0 = in + (size_t)px * cin;
            int8_t *y0 = out + (size_t)px * cout;
            int8_t *y1 = y0 + cout;
            mcu_mm_cols2(cols, x0, x0 + cin, cin);
            mcu_mm_conv_rows(cols, 2, filter, cin, cout, bias, p, q, y0, y1, neg);
        }
        if (px < pixels) {
            int8_t *y0 = out + (size_t)px * cout;
            mcu_mm_col_init(&col, cols, 1, 0);
            mcu_mm_col_push(&col, in + (size_t)px * cin, cin, 0);
            mcu_mm_col_end(&col, cols, 1, 0, cin);
            mcu_mm_conv_rows(cols, 1, filter, cin, cout, bias, p, q, y0, y0, neg);
        }
        return;
    }
#else
    (void)scratch;
#endif

    for (px = 0; px + 1 < pixels; px += 2) {
        const int8_t *x0 = in + (size_t)px * cin;
        const int8_t *x1 = x0 + cin;
        int8_t *y0 = out + (size_t)px * cout;
        int8_t *y1 = y0 + cout;
        for (o = 0; o + 1 < cout; o += 2) {
            const int8_t *w0 = filter + (size_t)o * cin;
            const int8_t *w1 = w0 + cin;
            int32_t a00 = bias[o], a01 = bias[o + 1], a10 = bias[o], a11 = bias[o + 1];
            for (ci = 0; ci < cin; ++ci) {
                const int32_t v0 = x0[ci], v1 = x1[ci], k0 = w0[ci], k1 = w1[ci];
                a00 += v0 * k0;
                a01 += v0 * k1;
                a10 += v1 * k0;
                a11 += v1 * k1;
            }
            y0[o] = mcu_conv1x1_out(a00, p, q, o);
            y0[o + 1] = mcu_conv1x1_out(a01, p, q, o + 1);
            y1[o] = mcu_conv1x1_out(a10, p, q, o);
            y1[o + 1] = mcu_conv1x1_out(a11, p, q, o + 1);
        }
        if (o < cout) {
            const int8_t *w0 = filter + (size_t)o * cin;
            int32_t a0 = bias[o], a1 = bias[o];
            for (ci = 0; ci < cin; ++ci) {
                const int32_t k0 = w0[ci];
                a0 += (int32_t)x0[ci] * k0;
                a1 += (int32_t)x1[ci] * k0;
            }
            y0[o] = mcu_conv1x1_out(a0, p, q, o);
            y1[o] = mcu_conv1x1_out(a1, p, q, o);
        }
    }
    if (px < pixels) {
        const int8_t *x0 = in + (size_t)px * cin;
        int8_t *y0 = out + (size_t)px * cout;
        for (o = 0; o < cout; ++o) {
            const int8_t *w0 = filter + (size_t)o * cin;
            int32_t a0 = bias[o];
            for (ci = 0; ci < cin; ++ci) {
                a0 += (int32_t)x0[ci] * (int32_t)w0[ci];
            }
            y0[o] = mcu_conv1x1_out(a0, p, q, o);
        }
    }
}
