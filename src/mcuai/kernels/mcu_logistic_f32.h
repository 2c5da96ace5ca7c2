#ifndef MCU_LOGISTIC_F32_H
#define MCU_LOGISTIC_F32_H
#include "mcu_clamp_f32.h"
void mcu_logistic_f32(int32_t size, const float *in, float *out);
#endif
