/*
 * mcu_logistic_f32 - float32 logistic (sigmoid), element-wise.
 *
 * Rule (TFLite reference_ops::Logistic, float):
 *   y = 1.0f                        if x > 16.619047164916992188f,
 *       expf(x)                     if x < -9.0f,
 *       1.0f / (1.0f + expf(-x))    otherwise.
 * Same operations as the reference; differences from LiteRT can only come from expf (glibc on
 * the host agrees with LiteRT; newlib's expf may differ by 1 ulp). in == out is allowed.
 */
#include <math.h>

#include "mcu_logistic_f32.h"

void mcu_logistic_f32(int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float x = in[i];
        float y;
        if (x > 16.619047164916992188f) {
            y = 1.0f;
        } else if (x < -9.0f) {
            y = expf(x);
        } else {
            y = 1.0f / (1.0f + expf(-x));
        }
        out[i] = y;
    }
}
