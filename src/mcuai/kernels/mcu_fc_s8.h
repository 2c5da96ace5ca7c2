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
 * for -2^31. Fast path (normal S with T = -e in [32, 63], the usual FC scales): round_half_away
 * of the *unrounded* P / 2^T is floor(P / 2^T) + [F >= 2^(T-1)], F = P mod 2^T, and it equals the
 * result above unless the 53-bit rounding moves P across (or onto) the half point: that moves P by
 * at most half an ulp, 2^(L-54) <= P / 2^53 < ((P >> 32) + 1) / 2^21 <= (P >> 53) + 1, so
 * |F - 2^(T-1)| > (P >> 53) + 1 decides; otherwise the exact path runs. floor(P / 2^T) =
 * (P >> 32) >> (T - 32) since the low word only adds a fraction below one unit of that shift.
 * Tested against Python's float64 product on random, tie and next-to-tie inputs
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
    int fast = 0;
    if (ef != 0 && e <= -32 && e >= -63) {
        /* fast path (see above): P / 2^T with T = -e in [32, 63], decided unless P is within
           the 53-bit rounding's reach of a half-integer multiple of 2^T */
        const int32_t tt = -e - 32; /* 0..31 */
        const uint64_t f = ((hi & (((uint64_t)1 << tt) - 1u)) << 32) | lo; /* P mod 2^T */
        const uint64_t half = (uint64_t)1 << (31 + tt);
        const uint64_t d = f >= half ? f - half : half - f;
        if (d > (hi >> 21) + 1u) {
            r = (hi >> tt) + (f >= half ? 1u : 0u);
            fast = 1;
        }
    }
    if (!fast) {
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

/* Per-channel form of mcu_fc_requantize with a 32-bit fast path (one UMLAL), same results.
 * For a normal S = m * 2^e with t = -e - 53 in [0, 31] (S in about [2^-32, 1)), let
 * m' = m >> 21 (32 bits) and W = |acc| * m' + 2^(t+31) (< 2^64), R = W >> (32 + t) and
 * fr = the next 32 bits of W (W >> t truncated to 32 bits). With X = (RNE53(P) + 2^(T-1)) / 2^T,
 * T = -e, the exact rounded magnitude is floor(X), and
 *   X - W / 2^(t+32) = (P - |acc| * m' * 2^21) / 2^T + (RNE53(P) - P) / 2^T
 * lies in [-h, |acc| * 2^(21-T) + h) with h <= P / 2^(53+T) < (R + 2) / 2^53; in units of 2^-32:
 * |acc| * 2^(21-T) * 2^32 = |acc| / 2^t <= (|acc| >> t) + 1 and h * 2^32 < (R >> 20) + 1, and the
 * truncation of fr adds less than 1. So with M = (|acc| >> t) + (R >> 20) + 3,
 * M <= fr <= 2^32 - M gives floor(X) = R; otherwise (and for other S) mcu_fc_requantize runs. */
typedef struct {
    int64_t bits;
    uint32_t m;   /* m >> 21 */
    int32_t t;    /* -e - 53 */
    uint32_t hlo; /* 2^(t+31), low and high words */
    uint32_t hhi;
    int32_t fast; /* t in [0, 31] and S normal */
} mcu_fc_rq;

MCU_INLINE void mcu_fc_rq_init(mcu_fc_rq *r, int64_t scale_bits)
{
    const uint64_t bits = (uint64_t)scale_bits;
    const int32_t ef = (int32_t)((bits >> 52) & 0x7FFu);
    const int32_t t = 1022 - ef;
    r->bits = scale_bits;
    r->m = (uint32_t)(((bits & 0xFFFFFFFFFFFFFull) | ((uint64_t)1 << 52)) >> 21);
    r->fast = ef != 0 && t >= 0 && t <= 31;
    r->t = r->fast ? t : 0;
    r->hlo = r->t == 0 ? 0x80000000u : 0u;
    r->hhi = r->t == 0 ? 0u : (uint32_t)1 << (r->t - 1);
}

MCU_INLINE int32_t mcu_fc_rq_apply(int32_t acc, const mcu_fc_rq *r)
{
    if (r->fast) {
        const uint32_t a = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
        const uint64_t w = (uint64_t)a * r->m + (((uint64_t)r->hhi << 32) | r->hlo);
        const uint32_t hi = (uint32_t)(w >> 32), lo = (uint32_t)w;
        const int32_t t = r->t;
        const uint32_t big = hi >> t;
        const uint32_t fr = t != 0 ? (hi << (32 - t)) | (lo >> t) : lo;
        const uint32_t margin = (a >> t) + (big >> 20) + 3u;
        if (fr >= margin && fr <= 0u - margin) {
            if (acc < 0) {
                return big >= 0x80000000u ? INT32_MIN : -(int32_t)big;
            }
            return big >= 0x7FFFFFFFu ? INT32_MAX : (int32_t)big;
        }
    }
    return mcu_fc_requantize(acc, r->bits);
}


/* mcu_fc_clamp_out(mcu_fc_requantize(acc, r->bits), offset, lo, hi): the exact path of
   mcu_fc_rq_out, out of line (mcu_fc_s8.c) so that the fast path keeps its registers. */
int32_t mcu_fc_rq_slow(int32_t acc, const mcu_fc_rq *r, int32_t offset, int32_t lo,
                       int32_t hi);

/* mcu_fc_clamp_out(mcu_fc_rq_apply(acc, r), offset, lo, hi) for an int8 output
 * (-128 <= lo <= hi <= 127, |offset| <= 255): the fast path as in mcu_fc_rq_apply with
 * fr = (W >> t) truncated to 32 bits, then the magnitude capped at 2^16 (any larger one
 * clamps to the same end) and the clamp in 32 bits. */
MCU_INLINE int32_t mcu_fc_rq_out(int32_t acc, const mcu_fc_rq *r, int32_t offset, int32_t lo,
                                 int32_t hi)
{
    if (r->fast) {
        const uint32_t a = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
        const int32_t t = r->t;
        uint32_t wlo = r->hlo, whi = r->hhi;
#if (defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)                                \
     || defined(__ARM_ARCH_8_1M_MAIN__))                                                       \
    && !defined(MCU_PORTABLE)
        /* UMLAL (gcc would emit UMULL and a 64-bit addition) */
        __asm__("umlal %0, %1, %2, %3" : "+r"(wlo), "+r"(whi) : "r"(a), "r"(r->m));
#else
        {
            const uint64_t w = (uint64_t)a * r->m + (((uint64_t)whi << 32) | wlo);
            whi = (uint32_t)(w >> 32);
            wlo = (uint32_t)w;
        }
#endif
        const uint32_t big = whi >> t;
        const uint32_t fr = ((whi << 1) << (31 - t)) | (wlo >> t);
        const uint32_t margin = (a >> t) + (big >> 20) + 3u;
        if (fr >= margin && fr <= 0u - margin) {
            const int32_t mag = (int32_t)(big > 0x10000u ? 0x10000u : big);
            const int32_t v = (acc < 0 ? -mag : mag) + offset;
            return v < lo ? lo : (v > hi ? hi : v);
        }
    }
    return mcu_fc_rq_slow(acc, r, offset, lo, hi);
}

/* scratch: unused (kept for the argument order of the generated calls; NULL is fine). */
void mcu_fc_s8(const mcu_fc_params *p, const mcu_fc_quant *q,
               const mcu_dims *in_dims, const int8_t *in,
               const mcu_dims *f_dims, const int8_t *filter, const int32_t *bias,
               const mcu_dims *out_dims, int8_t *out, void *scratch);
#endif
