#ifndef MCU_MAXPOOL2D_S8_H
#define MCU_MAXPOOL2D_S8_H
#include "mcu_nn.h"
void mcu_maxpool2d_s8(const mcu_conv_params *p, const mcu_dims *in_dims,
                      const int8_t *in, const mcu_dims *f_dims,
                      const mcu_dims *out_dims, int8_t *out);
#endif
