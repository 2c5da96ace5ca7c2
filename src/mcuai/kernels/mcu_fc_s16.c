/*
 * mcu_fc_s16 - 16x8 fully connected: int16 activations (zero point 0, as TFLite requires),
 * int8 symmetric weights [Nout, Nin] (per-tensor or per-channel), optional int64 bias (an int32
 * model bias is widened at generation time). Dims as mcu_fc_s8.
 *
 * Math: real = scale * q (zero points 0).
 * Rule: LiteRT 2.3 BUILTIN_REF, reference_integer_ops::FullyConnected /
 * FullyConnectedPerChannel (int16 input, int8 filter) with float scales:
 *   acc = bias[o] + sum_i x * w                                          (int64)
 *   out = clamp(round_half_away((double)acc * S[o]) + output_offset, act_min, act_max),
 *   S[o] = (double)s_x * (double)s_w[o] / (double)s_y.
 * p->weights_offset is not read (symmetric weights).
 * Overflow: |x * w| <= 2^22, so the int64 accumulator is exact for any realistic Nin; the
 *   reference accumulates in the bias type (int32 for an int32 bias), so it agrees whenever
 *   its int32 accumulator does not overflow (|acc| < 2^31, ~512 full-scale products), and
 *   (double)acc is exact below 2^53.
 */
#include "mcu_fc_s16.h"

void mcu_fc_s16(const mcu_fc_params *p, const mcu_fc_quant *q,
                const mcu_dims *in_dims, const int16_t *in,
                const mcu_dims *f_dims, const int8_t *filter, const int64_t *bias,
                const mcu_dims *out_dims, int16_t *out)
{
    const int32_t batches = in_dims->n, nin = in_dims->c, nout = out_dims->c;
    int32_t b, o, i;
    (void)f_dims;

    for (b = 0; b < batches; ++b) {
        const int16_t *x = in + (size_t)b * nin;
        int16_t *y = out + (size_t)b * nout;
        for (o = 0; o < nout; ++o) {
            const int8_t *w = filter + (size_t)o * nin;
            int64_t acc = bias != NULL ? bias[o] : 0;
            for (i = 0; i < nin; ++i) {
                acc += (int32_t)x[i] * (int32_t)w[i];
            }
            y[o] = (int16_t)mcu_fc_clamp_out(
                mcu_requantize_f64(acc, mcu_f64_from_bits(q->scale_bits[o * q->step])),
                p->output_offset, p->act_min, p->act_max);
        }
    }
}
