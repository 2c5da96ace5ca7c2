/*
 * mcu_tanh_s16 - int16 TANH, y = tanh(x) = 2 * sigmoid(2x) - 1.
 *
 * Math: real = s * q with zero points 0; output scale 2^-15.
 * Rule (TFLite reference_integer_ops::Tanh, int16 overload, with LiteRT TanhPrepare):
 *   v  = (q * input_multiplier + round) >> input_shift, round = 2^(input_shift - 1) (0 for 0),
 *        i.e. v ~ 3 * 2^12 * x for the real x;
 *   a  = |v|, h = a >> 8 ~ 24 * 2|x| (8 fractional bits instead of LOGISTIC's 9: sigmoid(2x));
 *   r  = 0xFFFF << 8 when h >= 255, else t[h] << 8 + (a & 255) * (t[h + 1] - t[h]);
 *   y  = (r - 2^23 + 2^7) >> 8 for v >= 0, (-r + 2^23 + 2^7 - 1) >> 8 for v < 0, with an
 *        arithmetic shift of the signed int32 (t = mcu_sigmoid_table_u16).
 * Overflow: as mcu_logistic_s16 for v (input_multiplier <= 65535, refused above by the
 *   generator); r <= 0xFFFF << 8 < 2^24, so r +- 2^23 fits int32 and y is in [-32767, 32767].
 * In place: in == out is allowed.
 */
#include "mcu_tanh_s16.h"
#include "mcu_sigmoid_table_u16.h"

void mcu_tanh_s16(int32_t input_multiplier, int32_t input_shift, int32_t size,
                  const int16_t *in, int16_t *out)
{
    const int32_t round = input_shift > 0 ? ((int32_t)1 << (input_shift - 1)) : 0;
    int32_t i;

    for (i = 0; i < size; ++i) {
        const int32_t v = ((int32_t)in[i] * input_multiplier + round) >> input_shift;
        const uint32_t a = (uint32_t)(v >= 0 ? v : -v);
        const uint32_t h = a >> 8;
        int32_t r;
        if (h >= 255u) {
            r = (int32_t)0xFFFF << 8;
        } else {
            const uint32_t ua = mcu_sigmoid_table_u16[h];
            const uint32_t ub = mcu_sigmoid_table_u16[h + 1u];
            r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
        }
        r = v >= 0 ? r - ((int32_t)1 << 23) + ((int32_t)1 << 7)
                   : -r + ((int32_t)1 << 23) + ((int32_t)1 << 7) - 1;
        out[i] = (int16_t)(r >> 8);
    }
}
