/*
 * mcu_fc_ort_fixed_s8 - int8 fully connected layer (weights [Nout, Nin], symmetric int8),
 * integer-only: ONNX Gemm/MatMul under --requant fixed-point, for cores without an FPU (an
 * approximation of ONNX Runtime's float requantization, reported by validate).
 *
 * Math: real = scale * (q - zp).
 *   acc[b,o] = bias[o] + sum_i (in[b,i] + input_offset) * w[o,i]               (int32)
 *   out[b,o] = clamp(MultiplyByQuantizedMultiplier(acc, mult[o], shift[o]) + output_offset,
 *                    act_min, act_max)
 * with (mult, shift) from (double)s_x * s_w[o] / s_y (TFLite Micro's FULLY_CONNECTED rule;
 * mcu_requantize of mcu_nn.h). in_dims = {batch, 1, 1, Nin}, w_dims = {Nout, 1, 1, Nin};
 * bias may be NULL.
 * Overflow: |in + input_offset| <= 255, |w| <= 128: Nin up to 65793 products fit int32.
 */
#include "mcu_fc_ort_fixed_s8.h"

void mcu_fc_ort_fixed_s8(const mcu_fc_ort_params *p, const mcu_quant_pc *q,
                         const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *w_dims, const int8_t *weights, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out)
{
    const int32_t batch = in_dims->n, nin = in_dims->c, nout = w_dims->n;
    int32_t b, o, i;
    (void)out_dims;
    for (b = 0; b < batch; ++b) {
        const int8_t *x = in + (size_t)b * nin;
        for (o = 0; o < nout; ++o) {
            const int8_t *w = weights + (size_t)o * nin;
            int32_t acc = bias != NULL ? bias[o] : 0;
            for (i = 0; i < nin; ++i) {
                acc += ((int32_t)x[i] + p->input_offset) * (int32_t)w[i];
            }
            acc = mcu_requantize(acc, q->multiplier[o], q->shift[o]) + p->output_offset;
            *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
        }
    }
}
