/*
 * mcu_hard_swish_f32 - float32 hard swish, element-wise.
 *
 * Rule (TFLite reference_ops::HardSwish, float): y = (x * min(6, max(0, x + 3))) / 6, in this
 * order, float32 (std::max(0, t) = 0 < t ? t : 0, std::min(6, t) = t < 6 ? t : 6).
 * Same operations as the reference: bit-exact with LiteRT BUILTIN_REF. in == out is allowed.
 */
#include "mcu_hard_swish_f32.h"

void mcu_hard_swish_f32(int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = in[i];
        float t = x + 3.0f;
        float prod;
        t = 0.0f < t ? t : 0.0f;
        t = t < 6.0f ? t : 6.0f;
        prod = x * t;
        out[i] = prod / 6.0f;
    }
}
