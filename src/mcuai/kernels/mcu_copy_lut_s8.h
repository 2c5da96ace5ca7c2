#ifndef MCU_COPY_LUT_S8_H
#define MCU_COPY_LUT_S8_H
#include "mcu_copy.h"
void mcu_copy_lut_s8(const mcu_copy_params *p, const int8_t *table, const int8_t *in,
                     int8_t *out);
#endif
