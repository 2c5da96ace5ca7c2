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

/* mcu_requantize_f64(acc, S) in integer arithmetic only (no soft-float on cores without a
 * double-precision FPU), bit for bit, for every int32 acc and every finite S >= 0 given as
 * its IEEE-754 bits. Proof: S = m * 2^e exactly (m < 2^53 the significand with its implicit
 * bit, e = exponent - 1075; subnormals: no implicit bit, e = -1074), (double)acc is exact, so
 * the exact product is P * 2^e with P = |acc| * m < 2^85 (computed exactly in two 64-bit
 * halves). IEEE multiplication rounds it to nearest, ties to even, at 53 significant bits:
 * with L the bit length of P and s = L - 53 > 0, Q = RNE(P / 2^s) and the double product is
 * Q * 2^(e+s) (Q may reach 2^53: still exact); for L <= 53 the product is exact (Q = P,
 * s = 0). A double product below the smallest normal would round differently, but then
 * |p| < 2^-1000 and both results are 0. round_half_away(p) = sign * floor(Q * 2^(e+s) + 1/2),
 * computed as (Q + 2^(E-1)) >> E with E = -(e+s) > 0 (0 for E >= 55 since Q <= 2^53), or
 * Q << (e+s) when e+s >= 0. Saturation equals mcu_requantize_f64's: p >= 2^31 - 1 exactly
 * when the rounded magnitude is >= 2^31 - 1 (p >= 2^31 - 1.5 rounds there too, and
 * mcu_requantize_f64 moves p in [2^31 - 1.5, 2^31 - 1) to 2^31 - 1 as well), and likewise
 * for -2^31. Tested against Python's float64 product on random, tie and next-to-tie inputs
 * (tests/test_dsp_kernels.py). */
MCU_INLINE int32_t mcu_fc_requantize(int32_t acc, int64_t scale_bits)
{
    const uint64_t bits = (uint64_t)scale_bits;
    const int32_t ef = (int32_t)((bits >> 52) & 0x7FFu);
    const uint64_t m = (bits & 0xFFFFFFFFFFFFFull) | (ef != 0 ? (uint64_t)1 << 52 : 0u);
    const int32_t e = (ef != 0 ? ef : 1) - 1075;
    const uint32_t a = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    const uint64_t p0 = (uint64_t)a * (uint32_t)m;
    const uint64_t hi = (uint64_t)a * (uint32_t)(m >> 32) + (p0 >> 32); /* P >> 32 */
    const uint32_t lo = (uint32_t)p0;
    uint64_t q, r;
    int32_t t, len = 0;
    if (hi == 0) {
        q = lo; /* at most 32 bits: exact */
        t = e;
    } else {
#if defined(__GNUC__) || defined(__clang__)
        len = 96 - __builtin_clzll(hi); /* bit length of P */
#else
        uint64_t h = hi;
        while (h != 0) {
            h >>= 1;
            ++len;
        }
        len += 32;
#endif
        if (len <= 53) {
            q = (hi << 32) | lo;
            t = e;
        } else {
            const int32_t s = len - 53; /* 1..32 */
            uint64_t rem, half;
            if (s == 32) {
                q = hi;
                rem = lo;
            } else {
                q = (hi << (32 - s)) | (lo >> s);
                rem = lo & (((uint64_t)1 << s) - 1u);
            }
            half = (uint64_t)1 << (s - 1);
            if (rem > half || (rem == half && (q & 1u) != 0)) {
                ++q;
            }
            t = e + s;
        }
    }
    if (t >= 0) {
        r = (t >= 32 || q >= ((uint64_t)1 << 31)) ? ((uint64_t)1 << 31) : q << t;
    } else if (t <= -55) {
        r = 0;
    } else {
        r = (q + ((uint64_t)1 << (-t - 1))) >> -t;
    }
    if (acc < 0) {
        return r >= ((uint64_t)1 << 31) ? INT32_MIN : -(int32_t)r;
    }
    return r >= 0x7FFFFFFFu ? INT32_MAX : (int32_t)r;
}

/* clamp(r + output_offset, lo, hi) without int32 overflow. */
MCU_INLINE int32_t mcu_fc_clamp_out(int32_t r, int32_t offset, int32_t lo, int32_t hi)
{
    const int64_t v = (int64_t)r + offset;
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* scratch: MCU_MM_COLS_BYTES(Nin, 1) bytes (mcu_dsp_mm.h), used on cores with the DSP
   extension only. */
void mcu_fc_s8(const mcu_fc_params *p, const mcu_fc_quant *q,
               const mcu_dims *in_dims, const int8_t *in,
               const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
               const mcu_dims *out_dims, int8_t *out, void *scratch);
#endif
