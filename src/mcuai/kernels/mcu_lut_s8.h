#ifndef MCU_LUT_S8_H
#define MCU_LUT_S8_H
#include "mcu_nn.h"
/* out[i] = table[in[i] + 128] for i < size; in == out is allowed. */
void mcu_lut_s8(const int8_t *table, int32_t size, const int8_t *in, int8_t *out);
#endif
