/*
 * mcu_fc_s8 - int8 fully connected: y[b, o] = requant(bias[o] + sum_i x[b, i] * w[o, i]),
 * weights [Nout, Nin] (int8, per-tensor with any zero point, or per-channel symmetric), the
 * input viewed as [batch, Nin] (in_dims = {batch, 1, 1, Nin}, f_dims = {Nout, 1, 1, Nin},
 * out_dims = {batch, 1, 1, Nout}).
 *
 * Math: real = scale * (q - zp).
 * Rule: LiteRT 2.3 BUILTIN_REF, reference_integer_ops::FullyConnected /
 * FullyConnectedPerChannel with float scales (not the fixed-point multiplier; checked
 * bit-exact, including rounding ties):
 *   acc    = sum_i (x + input_offset) * (w + weights_offset) + bias_model[o]   (int32)
 *   out    = clamp(round_half_away((double)acc * S[o]) + output_offset, act_min, act_max),
 *   S[o]   = (double)s_x * (double)s_w[o] / (double)s_y  (computed at generation time).
 * The float64 product and rounding are evaluated in integers by mcu_fc_rq_out (a 32-bit
 * fast path, else mcu_fc_requantize; exact
 * emulation of the IEEE-754 product, proof in mcu_fc_s8.h): no double arithmetic at run time.
 * Rearranged exactly (every product is inside the sum, no padding):
 *   acc = bias[o] + sum_i x * w + weights_offset * sum_i x,
 * with the folded bias computed at generation time (never NULL):
 *   bias[o] = bias_model[o] + input_offset * sum_i w[o, i] + Nin * input_offset * weights_offset.
 * Two output rows are computed per pass (each input byte feeds 2 MACs).
 * DSP path (Cortex-M4/M7/M33, see mcu_dsp_mm.h): no buffer; mcu_mm_kern41x splits each
 * word of 4 inputs with SXTB16 / SXTB16 ROR #8 into the (0, 2) / (1, 3) int16 pairs that the
 * same instructions make of the weight words (once per 4 output rows), and SMLAD adds two
 * products at a time: same products, same sums. `scratch` is unused (may be NULL).
 * Helium path (M55, before the DSP one): 16 products per VMLADAVA, 4 rows per pass.
 * Overflow: |x * w| <= 16384 (|x| <= 128, |w| <= 128), so Nin products fit int32 for Nin <=
 *   131071; acc equals the reference accumulator whenever that one does not overflow.
 */
#include "mcu_fc_s8.h"
#include "mcu_dsp_mm.h"

int32_t mcu_fc_rq_slow(int32_t acc, const mcu_fc_rq *r, int32_t offset, int32_t lo,
                       int32_t hi)
{
    return mcu_fc_clamp_out(mcu_fc_requantize(acc, r->bits), offset, lo, hi);
}

/* Output o; rq: the per-tensor constants (step 0) or scratch space for channel o's. */
MCU_INLINE int8_t mcu_fc_out(int32_t acc, const mcu_fc_params *p, const mcu_fc_quant *q,
                             int32_t o, mcu_fc_rq *rq)
{
    if (q->step != 0) {
        mcu_fc_rq_init(rq, q->scale_bits[o]);
    }
    return (int8_t)mcu_fc_rq_out(acc, rq, p->output_offset, p->act_min, p->act_max);
}

void mcu_fc_s8(const mcu_fc_params *p, const mcu_fc_quant *q,
               const mcu_dims *in_dims, const int8_t *in,
               const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
               const mcu_dims *out_dims, int8_t *out, void *scratch)
{
    const int32_t batches = in_dims->n, nin = in_dims->c, nout = out_dims->c;
    int32_t b, o, i;
    mcu_fc_rq rq;
    (void)f_dims;
    mcu_fc_rq_init(&rq, q->scale_bits[0]);

    for (b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * nin;
        int8_t *y = out + (size_t)b * nout;
        int32_t xsum = 0;
        if (p->weights_offset != 0) {
            for (i = 0; i < nin; ++i) {
                xsum += x[i];
            }
            xsum *= p->weights_offset;
        }
#if defined(MCU_MVE_MM)
        {
            int32_t acc[4], r;
            (void)scratch;
            for (o = 0; o + 3 < nout; o += 4) {
                for (r = 0; r < 4; ++r) {
                    acc[r] = bias[o + r] + xsum;
                }
                mcu_mve_dot4(x, filter + (size_t)o * nin, nin, acc, NULL);
                for (r = 0; r < 4; ++r) {
                    y[o + r] = mcu_fc_out(acc[r], p, q, o + r, &rq);
                }
            }
            for (; o < nout; ++o) {
                const int32_t a = mcu_mve_dot1(x, filter + (size_t)o * nin, nin, bias[o] + xsum,
                                               NULL);
                y[o] = mcu_fc_out(a, p, q, o, &rq);
            }
            continue;
        }
#elif defined(MCU_DSP_MM)
        (void)scratch;
        {
            /* no column: the input words are split in registers (mcu_mm_kern41x) */
            int32_t acc[3];
            const int32_t pc = q->step != 0;
            const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
            int32_t a4[5], r;
            for (o = 0; o + 3 < nout; o += 4) {
                const int8_t *w0 = filter + (size_t)o * nin;
                for (r = 0; r < 4; ++r) {
                    a4[r] = bias[o + r] + xsum;
                }
                a4[4] = nin >> 2;
                mcu_mm_kern41x(a4, w0, nin, x);
                if ((nin & 3) != 0) {
                    for (r = 0; r < 4; ++r) {
                        const int8_t *wr = w0 + (size_t)r * nin;
                        for (i = nin & ~3; i < nin; ++i) {
                            a4[r] += (int32_t)wr[i] * x[i];
                        }
                    }
                }
                if (!pc) { /* per-tensor scale: the same constants for the 4 rows */
                    y[o] = (int8_t)mcu_fc_rq_out(a4[0], &rq, off, lo, hi);
                    y[o + 1] = (int8_t)mcu_fc_rq_out(a4[1], &rq, off, lo, hi);
                    y[o + 2] = (int8_t)mcu_fc_rq_out(a4[2], &rq, off, lo, hi);
                    y[o + 3] = (int8_t)mcu_fc_rq_out(a4[3], &rq, off, lo, hi);
                    continue;
                }
                for (r = 0; r < 4; ++r) {
                    mcu_fc_rq_init(&rq, q->scale_bits[o + r]);
                    y[o + r] = (int8_t)mcu_fc_rq_out(a4[r], &rq, off, lo, hi);
                }
            }
            for (; o < nout; o += 2) {
                const int32_t o1 = o + 1 < nout ? o + 1 : o;
                const int8_t *w0 = filter + (size_t)o * nin, *w1 = filter + (size_t)o1 * nin;
                acc[0] = bias[o] + xsum;
                acc[1] = bias[o1] + xsum;
                acc[2] = nin >> 2;
                mcu_mm_kern21x(acc, w0, w1, x);
                for (i = nin & ~3; i < nin; ++i) {
                    const int32_t v = x[i];
                    acc[0] += (int32_t)w0[i] * v;
                    acc[1] += (int32_t)w1[i] * v;
                }
                y[o] = mcu_fc_out(acc[0], p, q, o, &rq);
                y[o1] = mcu_fc_out(acc[1], p, q, o1, &rq);
            }
            continue;
        }
#else
        (void)scratch;
#endif
        for (o = 0; o + 1 < nout; o += 2) {
            const int8_t *w0 = filter + (size_t)o * nin;
            const int8_t *w1 = w0 + nin;
            int32_t a0 = bias[o] + xsum, a1 = bias[o + 1] + xsum;
            for (i = 0; i < nin; ++i) {
                const int32_t v = x[i];
                a0 += v * w0[i];
                a1 += v * w1[i];
            }
            y[o] = mcu_fc_out(a0, p, q, o, &rq);
            y[o + 1] = mcu_fc_out(a1, p, q, o + 1, &rq);
        }
        if (o < nout) {
            const int8_t *w0 = filter + (size_t)o * nin;
            int32_t a0 = bias[o] + xsum;
            for (i = 0; i < nin; ++i) {
                a0 += (int32_t)x[i] * (int32_t)w0[i];
            }
            y[o] = mcu_fc_out(a0, p, q, o, &rq);
        }
    }
}
