#ifndef MCU_CONV2D_INPLACE_S8_H
#define MCU_CONV2D_INPLACE_S8_H
#include "mcu_nn.h"
void mcu_conv2d_inplace_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                           const mcu_dims *in_dims, const int8_t *in,
                           const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                           const mcu_dims *out_dims, int8_t *out, int32_t backward,
                           int16_t *col);
#endif
