/*
 * mcu_softmax_ort_s8 - int8 softmax over the last axis with ONNX Runtime's QLinearSoftmax
 * rule (com.microsoft; what ORT 1.32 makes of DequantizeLinear -> Softmax -> QuantizeLinear).
 *
 * Math: real = scale * (q - zp). Rule (contrib_ops/cpu/quantization/qlinear_softmax.cc):
 *   table[i] = (float)exp((i - 255 + shift) * s_x) in double, i = 0..255, with
 *              shift = max(0, log(FLT_MAX / depth) - 5) / s_x (computed at generation time);
 *   per row: m = max(x); e(x) = table[255 - m + x]   (both int8 and uint8 inputs index so);
 *            sum = e(x_0) + e(x_1) + ...             (float32, in order);
 *            out = min(nearbyintf((e(x) * y_scale) / sum) + zp_y, 127)   (float32 product and
 *            quotient), y_scale = floor(1.0f / s_y).
 *   ORT's uint8 kernel (also used after its int8 -> uint8 conversion of Q -> DQ pairs) gives
 *   the same stored integers: min(r + zp_y + 128, 255) - 128.
 * No integer overflow: r <= y_scale, and y_scale < 2^22 for any useful s_y.
 * In place: in == out is allowed (a row is read in full before its first write, and then
 *   element i is read before it is written).
 */
#include "mcu_softmax_ort_s8.h"

void mcu_softmax_ort_s8(const mcu_softmax_ort_params *p, const float *table, int32_t rows,
                        int32_t depth, const int8_t *in, int8_t *out)
{
    int32_t r, i;
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t base;
        float sum = 0.0f;
        int32_t m = x[0];
        for (i = 1; i < depth; ++i) {
            m = x[i] > m ? x[i] : m;
        }
        base = 255 - m; /* base + x[i] is in [0, 255] since x[i] <= m */
        for (i = 0; i < depth; ++i) {
            sum += table[base + x[i]];
        }
        for (i = 0; i < depth; ++i) {
            const float v = (table[base + x[i]] * p->y_scale) / sum;
            const int32_t q = mcu_ort_round(v) + p->zp;
            y[i] = (int8_t)(q > 127 ? 127 : q);
        }
    }
}
