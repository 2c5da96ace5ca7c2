#ifndef MCU_DIV_ORT_F32_H
#define MCU_DIV_ORT_F32_H
#include "mcu_binary_bcast.h"
/* Float Div (a / b, IEEE division) over the broadcast walk `bc`; out may be a when a is not
 * broadcast. */
void mcu_div_ort_f32(const mcu_bcast *bc, const float *a, const float *b, float *out);
#endif
