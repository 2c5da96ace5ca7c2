#ifndef MCU_FC_S16_H
#define MCU_FC_S16_H
#include "mcu_fc_s8.h"
void mcu_fc_s16(const mcu_fc_params *p, const mcu_fc_quant *q,
                const mcu_dims *in_dims, const int16_t *in,
                const mcu_dims *f_dims, const int8_t *filter, const int64_t *bias,
                const mcu_dims *out_dims, int16_t *out);
#endif
