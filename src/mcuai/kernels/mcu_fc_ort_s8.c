/*
 * mcu_fc_ort_s8 - int8 fully connected layer (weights [Nout, Nin], row-major) with ONNX
 * Runtime's float requantization: the ORT rule of QGemm (com.microsoft, what ORT makes of
 * DequantizeLinear -> Gemm -> QuantizeLinear), QLinearMatMul and a fused DQ -> MatMul -> Q.
 *
 * Math: real = scale * (q - zp). Rule (MLAS quantized GEMM + MLAS_QGEMM_REQUANT_OUTPUT_PROCESSOR):
 *   acc[b,o] = bias[o] + sum_i (in[b,i] + input_offset) * (w[o,i] + weights_offset[o])
 *              (one weights offset, or one per output channel: QGemm's per-column zero points)
 *   out[b,o] = saturate(round_half_to_even((float)acc[b,o] * scale[o]) + output_offset) clamped
 *              to [act_min, act_max] (mcu_requant_ort.h); QGemm's scale is
 *              ((alpha * s_a) * s_b[o]) / s_y in float32, QLinearMatMul's (s_a * s_b[o]) / s_y.
 *   With q->post_scale set (MatMulInteger -> Cast -> Mul(c) -> QuantizeLinear, two float
 *   nodes in ORT): out = saturate(rne(((float)acc * c[o]) / s_y) + output_offset), each
 *   operation rounded to float32 (mcu_ort_requant_q).
 * in_dims = {batch, 1, 1, Nin}, w_dims = {Nout, 1, 1, Nin}, out_dims = {batch, 1, 1, Nout};
 * bias may be NULL.
 * Overflow: each product <= 255 * 255 = 65025, so Nin <= 32767 with a bias below 2^30 fits
 *   int32 (MLAS accumulates in int32 as well).
 */
#include "mcu_fc_ort_s8.h"

void mcu_fc_ort_s8(const mcu_fc_ort_params *p, const mcu_quant_ort *q,
                   const mcu_dims *in_dims, const int8_t *in,
                   const mcu_dims *w_dims, const int8_t *weights, const int32_t *bias,
                   const mcu_dims *out_dims, int8_t *out)
{
    const int32_t batch = in_dims->n, nin = in_dims->c, nout = w_dims->n;
    const int32_t w_off = q->weights_offset;
    int32_t b, o, i;
    (void)out_dims;
    for (b = 0; b < batch; ++b) {
        const int8_t *x = in + (size_t)b * nin;
        for (o = 0; o < nout; ++o) {
            const int8_t *w = weights + (size_t)o * nin;
            const int32_t wo = p->weights_offsets != NULL ? p->weights_offsets[o] : w_off;
            int32_t acc = bias != NULL ? bias[o] : 0;
            for (i = 0; i < nin; ++i) {
                acc += ((int32_t)x[i] + p->input_offset) * ((int32_t)w[i] + wo);
            }
            *out++ = (int8_t)mcu_ort_requant_q(q, acc, o, p->output_offset, p->act_min,
                                               p->act_max);
        }
    }
}
