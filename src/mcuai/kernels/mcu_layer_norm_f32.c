/*
 * mcu_layer_norm_f32 - float32 LayerNormalization (ONNX opset 17) over rows of norm_size
 * values:  y = (x - mean) / sqrt(var + epsilon) * scale + bias,  var the biased variance.
 *
 * Rule: the row statistics are accumulated in double, as ONNX Runtime 1.32's CPU kernel
 * accumulates its mean (its mean output equals sum_double(x) / n on every row tested):
 *   mean = sum(x) / n,  msq = sum((float)(x * x)) / n   (double sums, in index order)
 *   d    = sqrt(msq - mean * mean + (double)epsilon)
 *   y    = (float)(((double)x - mean) / d * scale + bias)
 * ORT's inverse standard deviation differs from 1/d in the last bit on some rows (its exact
 * variance arithmetic is not identified), so outputs may differ from ORT's by a few float32
 * ulp; tests/test_onnx_ops_matrix.py measures the effect after requantization.
 * No integer arithmetic (no overflow bound needed). In place: in == out is allowed (each row
 * is read completely before it is written).
 */
#include "mcu_layer_norm_f32.h"

#include <math.h>

void mcu_layer_norm_f32(int32_t rows, int32_t norm_size, float epsilon, const float *scale,
                        const float *bias, const float *in, float *out)
{
    int32_t r;
    int32_t h;
    for (r = 0; r < rows; ++r) {
        const float *x = in + (size_t)r * (size_t)norm_size;
        float *y = out + (size_t)r * (size_t)norm_size;
        double mean = 0.0;
        double msq = 0.0;
        double d;
        for (h = 0; h < norm_size; ++h) {
            float sq = x[h] * x[h];
            mean += (double)x[h];
            msq += (double)sq;
        }
        mean = mean / (double)norm_size;
        msq = msq / (double)norm_size;
        d = sqrt(msq - mean * mean + (double)epsilon);
        for (h = 0; h < norm_size; ++h) {
            double v = ((double)x[h] - mean) / d * (double)scale[h];
            if (bias != NULL) {
                v += (double)bias[h];
            }
            y[h] = (float)v;
        }
    }
}
