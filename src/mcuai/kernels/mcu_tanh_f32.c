/*
 * mcu_tanh_f32 - float32 hyperbolic tangent, element-wise: y = tanhf(x).
 *
 * Rule (TFLite reference_ops::Tanh, float: std::tanh). Differences from LiteRT can only come
 * from the C library's tanhf (glibc on the host, newlib on Cortex-M: within a few ulp).
 * in == out is allowed.
 */
#include <math.h>

#include "mcu_tanh_f32.h"

void mcu_tanh_f32(int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        out[i] = tanhf(in[i]);
    }
}
