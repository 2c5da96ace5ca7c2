#ifndef MCU_AVGPOOL2D_ROUNDUP_S8_H
#define MCU_AVGPOOL2D_ROUNDUP_S8_H
#include "mcu_nn.h"
void mcu_avgpool2d_roundup_s8(const mcu_conv_params *p, const mcu_dims *in_dims,
                              const int8_t *in, const mcu_dims *f_dims,
                              const mcu_dims *out_dims, int8_t *out);
#endif
