/*
 * mcu_logistic_s16 - int16 LOGISTIC, y = 1 / (1 + exp(-x)).
 *
 * Math: real = s * q with zero points 0; output scale 2^-15.
 * Rule (TFLite reference_integer_ops::Logistic, int16 overload, with LiteRT SigmoidPrepare):
 *   v  = (q * input_multiplier + round) >> input_shift, round = 2^(input_shift - 1) (0 for 0),
 *        i.e. v ~ 3 * 2^12 * x for the real x, so |v| / 2^9 ~ 24 |x| indexes the sigmoid table
 *        (step 1/24) with 9 fractional bits;
 *   a  = |v|, h = a >> 9;
 *   r  = 0x7FFF << 10 when h >= 255, else t[h] << 9 + (a & 511) * (t[h + 1] - t[h]);
 *   y  = (r + 2^9) >> 10 for v >= 0, ((2^25 - r) + 2^9 - 1) >> 10 for v < 0 (1 - sigmoid(-x)),
 *   with t = mcu_sigmoid_table_u16 (TFLite sigmoid_table_uint16), all in uint32.
 * Overflow: the generator refuses input_multiplier > 65535, so |q * m| <= 32768 * 65535 <
 *   2^31 - 2^15; with input_shift > 0 the multiplier is <= 32767 and |q * m| + round <= 2^30 +
 *   2^30 - 2^15 < 2^31. r <= 65535 * 2^9 < 2^25, so both branches stay in [0, 2^25 + 2^9) and
 *   the result in [0, 32767].
 * In place: in == out is allowed.
 */
#include "mcu_logistic_s16.h"
#include "mcu_sigmoid_table_u16.h"

void mcu_logistic_s16(int32_t input_multiplier, int32_t input_shift, int32_t size,
                      const int16_t *in, int16_t *out)
{
    const int32_t round = input_shift > 0 ? ((int32_t)1 << (input_shift - 1)) : 0;
    int32_t i;

    for (i = 0; i < size; ++i) {
        const int32_t v = ((int32_t)in[i] * input_multiplier + round) >> input_shift;
        const uint32_t a = (uint32_t)(v >= 0 ? v : -v);
        const uint32_t h = a >> 9;
        uint32_t r;
        if (h >= 255u) {
            r = (uint32_t)0x7FFF << 10;
        } else {
            const uint32_t ua = mcu_sigmoid_table_u16[h];
            const uint32_t ub = mcu_sigmoid_table_u16[h + 1u];
            r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
        }
        r = v >= 0 ? r + (1u << 9) : ((1u << 25) - r) + (1u << 9) - 1u;
        out[i] = (int16_t)(r >> 10);
    }
}
