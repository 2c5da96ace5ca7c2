/*
 * mcu_fc_f32 - float32 fully connected layer: weights [Nout, Nin] (f_dims {1, 1, Nout, Nin}),
 * input viewed as [batches, Nin] (in_dims {1, 1, batches, Nin}), output {1, 1, batches, Nout}.
 *
 * Rule (TFLite reference_ops::FullyConnected, float):
 *   total  = sum_{i = 0..Nin-1} in[b, i] * w[o, i]   (float32, from 0.0f, in this order);
 *   out[b, o] = clamp(total + bias[o] (0.0f without bias), act.min, act.max).
 * Same summation order as the reference (bit-exact with LiteRT BUILTIN_REF barring fused
 * multiply-adds). No integer accumulator.
 */
#include "mcu_fc_f32.h"

void mcu_fc_f32(const mcu_act_f32 *act,
                const mcu_dims *in_dims, const float *in,
                const mcu_dims *f_dims, const float *weights, const float *bias,
                const mcu_dims *out_dims, float *out)
{
    const int32_t nin = f_dims->c, nout = f_dims->w;
    const int32_t batches = in_dims->n * in_dims->h * in_dims->w;
    int32_t b, o, i;
    (void)out_dims;

    for (b = 0; b < batches; ++b) {
        const float *x = in + (size_t)b * nin;
        for (o = 0; o < nout; ++o) {
            const float *w = weights + (size_t)o * nin;
            float total = 0.0f;
            for (i = 0; i < nin; ++i) {
                const float prod = x[i] * w[i];
                total += prod;
            }
            total = total + (bias != NULL ? bias[o] : 0.0f);
            *out++ = mcu_clampf(total, act);
        }
    }
}
