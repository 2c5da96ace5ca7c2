#ifndef MCU_PRELU_S8_H
#define MCU_PRELU_S8_H
#include "mcu_binary_bcast.h"

/* PRELU requantization (TFLite PreluParams): multiplier/shift pairs as mcu_requantize takes
 * them (shift > 0: left). */
typedef struct {
    int32_t input_offset;   /* -zp_in */
    int32_t alpha_offset;   /* -zp_alpha */
    int32_t output_offset;  /* +zp_out */
    int32_t multiplier_pos, shift_pos;  /* s_in / s_out, for x >= 0 */
    int32_t multiplier_neg, shift_neg;  /* s_in * s_alpha / s_out, for x * alpha */
} mcu_prelu_params;

/* out = prelu(in, alpha) with alpha broadcast to in's shape (bc: a = in, b = alpha). */
void mcu_prelu_s8(const mcu_prelu_params *p, const mcu_bcast *bc, const int8_t *in,
                  const int8_t *alpha, int8_t *out);
#endif
