/*
 * mcu_nn.h - common types and fixed-point helpers of the mcuai kernel library (C99).
 *
 * Quantization: real = scale * (q - zero_point). Kernels receive offsets instead of zero
 * points: input_offset = -zp_in, output_offset = +zp_out.
 *
 * Requantization (TFLite MultiplyByQuantizedMultiplier, "double rounding"): a real multiplier
 * M = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31). For an int32 accumulator x:
 *   x' = x * 2^max(shift, 0)                       (caller guarantees no overflow)
 *   h  = round((x' * multiplier) / 2^31), ties toward +inf (gemmlowp's nudge, then truncation),
 *        saturating the single overflow case
 *   r  = round_half_away(h / 2^max(-shift, 0))
 * Right shifts of negative values are arithmetic on every compiler mcuai supports (gcc, clang,
 * arm-none-eabi-gcc); this is implementation-defined in C99 and stated here once.
 */
#ifndef MCU_NN_H
#define MCU_NN_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define MCU_ALIGNED(n) __attribute__((aligned(n)))
#define MCU_INLINE static inline __attribute__((always_inline))
#else
#define MCU_ALIGNED(n)
#define MCU_INLINE static inline
#endif

/* Shape of a tensor of rank <= 4, leading dimensions padded with 1 (NHWC). */
typedef struct { int32_t n, h, w, c; } mcu_dims;

/* A height/width pair (strides, paddings, dilations, windows). */
typedef struct { int32_t h, w; } mcu_hw;

/* Per-output-channel requantization: one (multiplier, shift) per channel. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
} mcu_quant_pc;

/* Convolution-like parameters (conv, depthwise conv). */
typedef struct {
    int32_t input_offset;   /* -zp_in */
    int32_t output_offset;  /* +zp_out */
    mcu_hw stride;
    mcu_hw padding;         /* top, left (bottom/right follow from the output size) */
    mcu_hw dilation;
    int32_t ch_mult;        /* depthwise channel multiplier (1 for conv) */
    int32_t act_min, act_max;
} mcu_conv_params;

/* SaturatingRoundingDoublingHighMul: a * b / 2^31 rounded to nearest, ties toward +inf
   (nudge by +-2^30 then truncate toward zero: -0.5 -> 0, +0.5 -> 1), saturated. */
MCU_INLINE int32_t mcu_srdhm(int32_t a, int32_t b)
{
    int64_t ab, nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C99 division truncates toward zero, as gemmlowp's does */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* RoundingDivideByPOT: round_half_away(x / 2^exponent), 0 <= exponent <= 31. */
MCU_INLINE int32_t mcu_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier (see the header comment). */
MCU_INLINE int32_t mcu_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return mcu_rdbpot(mcu_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

MCU_INLINE int32_t mcu_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

#endif /* MCU_NN_H */
