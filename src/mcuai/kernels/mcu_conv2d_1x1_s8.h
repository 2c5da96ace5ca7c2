#ifndef MCU_CONV2D_1X1_S8_H
#define MCU_CONV2D_1X1_S8_H
#include "mcu_nn.h"
/* scratch: MCU_MM_COLS_BYTES(Cin, 2) bytes (mcu_dsp_mm.h), used on cores with the DSP
   extension only. */
void mcu_conv2d_1x1_s8(const mcu_conv_params *p, const mcu_quant_pc *q,
                       const mcu_dims *in_dims, const int8_t *in,
                       const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
                       const mcu_dims *out_dims, int8_t *out, void *scratch);
#endif
