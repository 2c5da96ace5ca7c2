#ifndef MCU_MAXPOOL2D_INPLACE_S8_H
#define MCU_MAXPOOL2D_INPLACE_S8_H
#include "mcu_nn.h"
void mcu_maxpool2d_inplace_s8(const mcu_conv_params *p, int32_t pad_value,
                              const mcu_dims *in_dims, const int8_t *in,
                              const mcu_dims *f_dims, const mcu_dims *out_dims, int8_t *out,
                              int32_t backward);
#endif
