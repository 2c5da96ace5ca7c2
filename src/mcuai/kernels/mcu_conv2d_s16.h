#ifndef MCU_CONV2D_S16_H
#define MCU_CONV2D_S16_H
#include "mcu_nn.h"

/* Per-channel requantization of the 16x8 kernels. */
typedef struct {
    const int32_t *multiplier; /* Q31 significand (TFLite QuantizeMultiplier) */
    const int32_t *shift;      /* > 0: left shift */
    int32_t acc32;             /* 1: int32 accumulator + MultiplyByQuantizedMultiplier (the
                                  model's bias is int32); 0: int64 accumulator + the int64
                                  rule with a 16-bit multiplier (int64 bias) */
} mcu_quant_s16;

/* TFLite MultiplyByQuantizedMultiplier(int64_t x, ...): the multiplier rounded to 16 bits,
 * reduced = multiplier < 0x7FFF0000 ? (multiplier + 2^15) >> 16 : 0x7FFF, then
 * (x * reduced + 2^(14 - shift)) >> (15 - shift) (arithmetic shift, one rounding, halves
 * toward +infinity), truncated to int32. Needs |x| < 2^47 and -31 <= shift < 8. */
MCU_INLINE int32_t mcu_requantize64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total = 15 - shift;
    return (int32_t)((x * reduced + ((int64_t)1 << (total - 1))) >> total);
}

void mcu_conv2d_s16(const mcu_conv_params *p, const mcu_quant_s16 *q,
                    const mcu_dims *in_dims, const int16_t *in,
                    const mcu_dims *f_dims, const int8_t *filter, const int64_t *bias,
                    const mcu_dims *out_dims, int16_t *out);
#endif
