#ifndef MCU_TCONV2D_ASYM_S8_H
#define MCU_TCONV2D_ASYM_S8_H
#include "mcu_nn.h"
void mcu_tconv2d_asym_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                         int32_t weights_offset, const mcu_dims *in_dims, const int8_t *in,
                         const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                         const mcu_dims *out_dims, int8_t *out);
#endif
