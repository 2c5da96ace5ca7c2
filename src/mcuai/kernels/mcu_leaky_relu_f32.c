/*
 * mcu_leaky_relu_f32 - float32 leaky ReLU, element-wise: y = x > 0 ? x : x * alpha.
 *
 * Rule (TFLite LeakyRelu, float; alpha may be negative or above 1, so no max()): one float32
 * multiplication, bit-exact with LiteRT BUILTIN_REF. in == out is allowed.
 */
#include "mcu_leaky_relu_f32.h"

void mcu_leaky_relu_f32(float alpha, int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = in[i];
        out[i] = x > 0.0f ? x : x * alpha;
    }
}
