#ifndef MCU_RESIZE_BILINEAR_FLOAT_S8_H
#define MCU_RESIZE_BILINEAR_FLOAT_S8_H
#include "mcu_resize_bilinear_f32.h"
void mcu_resize_bilinear_float_s8(const mcu_resize_bilinear_f32_params *p,
                                  const mcu_dims *in_dims, const int8_t *in,
                                  const mcu_dims *out_dims, int8_t *out);
#endif
