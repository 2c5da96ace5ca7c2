#ifndef MCU_FC_S8_H
#define MCU_FC_S8_H
#include "mcu_nn.h"

/* Fully connected parameters (quantized). */
typedef struct {
    int32_t weights_offset; /* -zp_w (0 for symmetric weights) */
    int32_t output_offset;  /* +zp_out */
    int32_t act_min, act_max;
} mcu_fc_params;

/* Float64 requantization: scale[o * step] (step 0: per-tensor, 1: per-channel) as the
 * IEEE-754 bit pattern of a double (the code generator emits no double arrays). */
typedef struct {
    const int64_t *scale_bits;
    int32_t step;
} mcu_fc_quant;

/* The double whose IEEE-754 bit pattern is `bits` (exact; union punning is defined in C99
 * TC3, and int64_t and double share byte order on every target mcuai supports). */
MCU_INLINE double mcu_f64_from_bits(int64_t bits)
{
    union {
        int64_t i;
        double d;
    } u;
    u.i = bits;
    return u.d;
}

/* round_half_away((double)acc * scale) saturated to int32, exactly as TFLite's
 * static_cast<int32_t>(std::round(static_cast<double>(acc) * scale)) where that is defined.
 * C99 without libm: t = trunc(p) (in range), f = p - t (exact: Sterbenz for |p| >= 1),
 * then one step away from zero when |f| >= 0.5. */
MCU_INLINE int32_t mcu_requantize_f64(int64_t acc, double scale)
{
    const double p = (double)acc * scale;
    int32_t t;
    double f;
    if (p >= 2147483647.0) {
        return INT32_MAX;
    }
    if (p <= -2147483648.0) {
        return INT32_MIN;
    }
    t = (int32_t)p;
    f = p - (double)t;
    if (f >= 0.5) {
        ++t;
    } else if (f <= -0.5) {
        --t;
    }
    return t;
}

/* clamp(r + output_offset, lo, hi) without int32 overflow. */
MCU_INLINE int32_t mcu_fc_clamp_out(int32_t r, int32_t offset, int32_t lo, int32_t hi)
{
    const int64_t v = (int64_t)r + offset;
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

void mcu_fc_s8(const mcu_fc_params *p, const mcu_fc_quant *q,
               const mcu_dims *in_dims, const int8_t *in,
               const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
               const mcu_dims *out_dims, int8_t *out);
#endif
