#ifndef MCU_FC_ORT_S8_H
#define MCU_FC_ORT_S8_H
#include "mcu_requant_ort.h"

/* Fully connected parameters (ONNX Runtime rule). */
typedef struct {
    int32_t input_offset;  /* -zp_x */
    int32_t output_offset; /* +zp_y */
    int32_t act_min, act_max;
    const int32_t *weights_offsets; /* per output channel -zp_w[o] (QGemm's per-column zero
                                       points), or NULL: q->weights_offset for all */
} mcu_fc_ort_params;

void mcu_fc_ort_s8(const mcu_fc_ort_params *p, const mcu_quant_ort *q,
                   const mcu_dims *in_dims, const int8_t *in,
                   const mcu_dims *w_dims, const int8_t *weights, const int32_t *bias,
                   const mcu_dims *out_dims, int8_t *out);
#endif
