#ifndef MCU_FC_ORT_FIXED_S8_H
#define MCU_FC_ORT_FIXED_S8_H
#include "mcu_fc_ort_s8.h"
void mcu_fc_ort_fixed_s8(const mcu_fc_ort_params *p, const mcu_quant_pc *q,
                         const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *w_dims, const int8_t *weights, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out);
#endif
