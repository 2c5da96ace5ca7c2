/*
 * mcu_resize_bilinear_ort_s8 - int8 bilinear Resize with ONNX Runtime's arithmetic. ORT has
 * no integer linear Resize for DQ -> Resize -> Q (it runs the float kernel between the two),
 * so per output element (float32, ORT's UpsampleBilinear; checked against ORT 1.32 with
 * half_pixel coordinates and factors 0.5 .. 3):
 *   X_ab = (float)(q[y_a, x_b] - zp_x) * s_x                    (DequantizeLinear)
 *   v = (dx2*dy2)*X11 + (dx1*dy2)*X12 + (dx2*dy1)*X21 + (dx1*dy1)*X22
 *       (X_ab: row y_a, column x_b; each weight product rounded, summed left to right)
 *   out = saturate(round_half_to_even(v / s_y) + zp_y)            (QuantizeLinear)
 * Tables (mcuai.lower.ort.ort_bilinear_tables): v = the source coordinate of ORT's coordinate
 * transformation in float32, clamped to [0, n - 1]; i1 = (int)v, i2 = min(i1 + 1, n - 1);
 * d1 = |v - i1|, d2 = |v - i2|, both 0.5 when i1 == i2.
 * No integer overflow: q - zp_x is at most 255 in magnitude; the rest is float32. Build
 * without FMA contraction (-ffp-contract=off; C99 mode does not contract).
 */
#include "mcu_resize_bilinear_ort_s8.h"

void mcu_resize_bilinear_ort_s8(const mcu_resize_bilinear_ort_params *p,
                                const mcu_dims *in_dims, const int8_t *in,
                                const mcu_dims *out_dims, int8_t *out)
{
    const int32_t depth = in_dims->c;
    const size_t in_row = (size_t)in_dims->w * (size_t)depth;
    const size_t in_img = (size_t)in_dims->h * in_row;
    int32_t b, y, x, c;
    size_t o = 0;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *img = in + (size_t)b * in_img;
        for (y = 0; y < out_dims->h; ++y) {
            const int8_t *r1 = img + (size_t)p->y1[y] * in_row;
            const int8_t *r2 = img + (size_t)p->y2[y] * in_row;
            for (x = 0; x < out_dims->w; ++x) {
                const float w11 = p->dx2[x] * p->dy2[y];
                const float w12 = p->dx1[x] * p->dy2[y];
                const float w21 = p->dx2[x] * p->dy1[y];
                const float w22 = p->dx1[x] * p->dy1[y];
                const int8_t *q11 = r1 + (size_t)p->x1[x] * (size_t)depth;
                const int8_t *q12 = r1 + (size_t)p->x2[x] * (size_t)depth;
                const int8_t *q21 = r2 + (size_t)p->x1[x] * (size_t)depth;
                const int8_t *q22 = r2 + (size_t)p->x2[x] * (size_t)depth;
                for (c = 0; c < depth; ++c) {
                    const float v11 = (float)((int32_t)q11[c] - p->zp_x) * p->scale_x;
                    const float v12 = (float)((int32_t)q12[c] - p->zp_x) * p->scale_x;
                    const float v21 = (float)((int32_t)q21[c] - p->zp_x) * p->scale_x;
                    const float v22 = (float)((int32_t)q22[c] - p->zp_x) * p->scale_x;
                    float v = w11 * v11;
                    v = v + w12 * v12;
                    v = v + w21 * v21;
                    v = v + w22 * v22;
                    out[o++] = (int8_t)mcu_ort_saturate(v / p->scale_y, p->zp_y, -128, 127);
                }
            }
        }
    }
}
