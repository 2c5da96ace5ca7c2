#ifndef MCU_BATCH_MATMUL_ORT_S8_H
#define MCU_BATCH_MATMUL_ORT_S8_H
#include "mcu_requant_ort.h"

/* QLinearMatMul of two int8 tensors [batch, M, K] x [batch, K, N] (ONNX Runtime rule). */
typedef struct {
    int32_t batch, m, k, n;
    int32_t a_batch_step;   /* elements between batches of a (0: broadcast) */
    int32_t b_batch_step;   /* elements between batches of b (0: broadcast) */
    int32_t a_offset;       /* -zp_a */
    const int32_t *b_offset; /* -zp_b[j * b_offset_step] */
    int32_t b_offset_step;
    int32_t output_offset;  /* +zp_y */
    int32_t act_min, act_max;
} mcu_batch_matmul_ort_params;

void mcu_batch_matmul_ort_s8(const mcu_batch_matmul_ort_params *p, const mcu_quant_ort *q,
                             const int8_t *a, const int8_t *b, int8_t *out);
#endif
