#ifndef MCU_DWCONV2D_ORT_S8_H
#define MCU_DWCONV2D_ORT_S8_H
#include "mcu_requant_ort.h"
void mcu_dwconv2d_ort_s8(const mcu_conv_params *p, const mcu_quant_ort *q,
                         const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out);
#endif
