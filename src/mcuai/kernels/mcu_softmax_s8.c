/*
 * mcu_softmax_s8 - int8 SOFTMAX over the last axis (rows of depth elements):
 *   y_i = exp(beta * s_in * (x_i - max x)) / sum_j exp(beta * s_in * (x_j - max x)),
 *   output real = (q + 128) / 256.
 *
 * Rule (LiteRT SoftmaxPrepare<kReference> + reference_ops::Softmax<int8_t, int8_t>, the same
 * as TFLite Micro), ported from mcuai.quant.softmax.softmax_reference:
 *   Generation time: PreprocessSoftmaxScaling(beta, s_in, 5) -> (multiplier, left_shift),
 *     diff_min = -CalculateInputRadius(5, left_shift); for each k = max - x in [0, 255],
 *     exp_table[k] = exp_on_negative_values<5>(SRDHM(-k << left_shift, multiplier)) (Q0.31),
 *     or 0 when -k < diff_min (the reference skips those elements: they output -128 and add
 *     nothing to the sum, exactly what a 0 entry gives below).
 *   Per row:
 *     1. max of the row;
 *     2. sum = sum_i RoundingDivideByPOT(exp_table[max - x_i], 12)   (Q12.19);
 *     3. GetReciprocal(sum, 12): h = clz32(sum), scale = one_over_one_plus_x_for_x_in_0_1(
 *        (sum << h) - 2^31) (gemmlowp Newton-Raphson, Q0.31), exponent = (12 - h) + 31 - 8;
 *     4. y_i = clamp(RoundingDivideByPOT(SRDHM(scale, exp_table[max - x_i]), exponent) - 128).
 * int32 overflow: every term of the sum is <= 2^19 (exp <= 2^31 - 1, then / 2^12) and the max
 *   element contributes exactly 2^19, so 2^19 <= sum and h <= 12, exponent >= 23. The
 *   reference requires exponent <= 31, i.e. sum < 2^28 (a real sum of exps below 512, only
 *   reachable with depth >= 512); on a row whose sum reaches 2^28 LiteRT aborts (TFLITE_CHECK).
 *   Here the sum stops as soon as it reaches 2^28 (before the add it is < 2^28, after it is
 *   < 2^28 + 2^19: no overflow for any depth) and such a row outputs -128 everywhere, which is
 *   the exact result of the same computation in 64 bits (mcuai's softmax_reference with
 *   strict=False): every probability is then <= 1/512 and rounds to 0 at scale 1/256.
 *   In one_over_one_plus_x the argument is in [0, 2^31), half_denominator in [2^30, 2^31) and
 *   the Newton iterate x in (2^29, 2^30] (1/half_denominator in Q2.29): no int32 overflow.
 * In place: in == out is allowed (x_i is read for the last time just before y_i is written).
 */
#include "mcu_softmax_s8.h"

#define MCU_SOFTMAX_SUM_LIMIT ((int32_t)1 << 28)

/* Leading zeros of a non-zero 32-bit value. */
static int32_t clz32(uint32_t x)
{
    int32_t n = 0;
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for 0 < exponent < 31. */
static int32_t sat_mul_pot(int32_t x, int32_t exponent)
{
    const int32_t threshold = ((int32_t)1 << (31 - exponent)) - 1;
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: a in Q0.31 [0, 1) -> 1 / (1 + a) in Q0.31. */
static int32_t one_over_one_plus_x(int32_t a)
{
    /* RoundingHalfSum(a, 1.0): (a + 2^31 - 1 + 1) / 2, truncated toward zero (here >= 0) */
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t half_den = (int32_t)((s + 1) / 2);
    /* x0 = 48/17 - 32/17 * half_den, Q2.29 */
    int32_t x = 1515870810 + mcu_srdhm(half_den, -1010580540);
    int32_t k;
    for (k = 0; k < 3; ++k) {
        const int32_t one_minus = ((int32_t)1 << 29) - mcu_srdhm(half_den, x);  /* Q2.29 */
        x += sat_mul_pot(mcu_srdhm(x, one_minus), 2);  /* Q4.27 product back to Q2.29 */
    }
    return sat_mul_pot(x, 1);  /* (x / 2) from Q1.30 to Q0.31 */
}

void mcu_softmax_s8(const int32_t *exp_table, int32_t rows, int32_t depth, const int8_t *in,
                    int8_t *out)
{
    int32_t r, i;

    if (depth <= 0) {
        return;
    }
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * (size_t)depth;
        int8_t *y = out + (size_t)r * (size_t)depth;
        int32_t max = -128, sum = 0, h, scale, exponent;

        for (i = 0; i < depth; ++i) {
            if (x[i] > max) {
                max = x[i];
            }
        }
        for (i = 0; i < depth && sum < MCU_SOFTMAX_SUM_LIMIT; ++i) {
            sum += mcu_rdbpot(exp_table[max - x[i]], 12);
        }
        if (sum >= MCU_SOFTMAX_SUM_LIMIT) {
            /* out of the reference's contract (it aborts): every output rounds to 0 */
            for (i = 0; i < depth; ++i) {
                y[i] = -128;
            }
            continue;
        }
        h = clz32((uint32_t)sum);
        scale = one_over_one_plus_x((int32_t)(((uint32_t)sum << h) - 0x80000000u));
        exponent = (12 - h) + 31 - 8;
        for (i = 0; i < depth; ++i) {
            const int32_t e = exp_table[max - x[i]];
            const int32_t v = mcu_rdbpot(mcu_srdhm(scale, e), exponent) - 128;
            y[i] = (int8_t)mcu_clamp(v, -128, 127);
        }
    }
}
