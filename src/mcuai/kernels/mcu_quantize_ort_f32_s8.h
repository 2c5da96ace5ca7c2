#ifndef MCU_QUANTIZE_ORT_F32_S8_H
#define MCU_QUANTIZE_ORT_F32_S8_H
#include "mcu_requant_ort.h"
void mcu_quantize_ort_f32_s8(const float *scale, const int32_t *zero_point,
                             const mcu_dims *dims, const float *in, int8_t *out);
#endif
