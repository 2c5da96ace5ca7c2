/*
 * mcu_batch_matmul_ort_s8 - int8 batched matrix product with ONNX Runtime's QLinearMatMul rule
 * (also DQ -> MatMul -> Q of two activations): for every batch t, row i, column j
 *   acc = sum_k (a[t,i,k] - zp_a) * (b[t,k,j] - zp_b[j])                    (exact int32)
 *   out = saturate(round_half_to_even((float)acc * scale[j]) + zp_y) in [act_min, act_max]
 * with scale[j] = (s_a * s_b[j]) / s_y in float32 (MLAS quantized GEMM with
 * MLAS_QGEMM_REQUANT_OUTPUT_PROCESSOR; mcu_requant_ort.h). A batch step of 0 broadcasts that
 * operand over the batches.
 * Overflow: each product <= 255 * 255, so K <= 32767 fits int32.
 */
#include "mcu_batch_matmul_ort_s8.h"

void mcu_batch_matmul_ort_s8(const mcu_batch_matmul_ort_params *p, const mcu_quant_ort *q,
                             const int8_t *a, const int8_t *b, int8_t *out)
{
    int32_t t, i, j, k;
    for (t = 0; t < p->batch; ++t) {
        const int8_t *a_t = a + (size_t)t * p->a_batch_step;
        const int8_t *b_t = b + (size_t)t * p->b_batch_step;
        for (i = 0; i < p->m; ++i) {
            for (j = 0; j < p->n; ++j) {
                const int32_t bo = p->b_offset[j * p->b_offset_step];
                int32_t acc = 0;
                for (k = 0; k < p->k; ++k) {
                    acc += ((int32_t)a_t[(size_t)i * p->k + k] + p->a_offset)
                           * ((int32_t)b_t[(size_t)k * p->n + j] + bo);
                }
                *out++ = (int8_t)mcu_ort_requant(acc, q->scale[j * q->step], p->output_offset,
                                                 p->act_min, p->act_max);
            }
        }
    }
}
