/*
 * mcu_resize_bilinear_ort_f32 - float32 bilinear Resize with ONNX Runtime's arithmetic
 * (UpsampleBilinear, see mcu_resize_bilinear_ort_s8.c for the tables):
 *   v = (dx2*dy2)*X11 + (dx1*dy2)*X12 + (dx2*dy1)*X21 + (dx1*dy1)*X22
 *   (X_ab: source row y_a, column x_b; each weight product rounded, summed left to right).
 * No integer arithmetic. Build without FMA contraction. Not in place.
 */
#include "mcu_resize_bilinear_ort_f32.h"

void mcu_resize_bilinear_ort_f32(const mcu_resize_bilinear_ort_params *p,
                                 const mcu_dims *in_dims, const float *in,
                                 const mcu_dims *out_dims, float *out)
{
    const int32_t depth = in_dims->c;
    const size_t in_row = (size_t)in_dims->w * (size_t)depth;
    const size_t in_img = (size_t)in_dims->h * in_row;
    int32_t b, y, x, c;
    size_t o = 0;

    for (b = 0; b < out_dims->n; ++b) {
        const float *img = in + (size_t)b * in_img;
        for (y = 0; y < out_dims->h; ++y) {
            const float *r1 = img + (size_t)p->y1[y] * in_row;
            const float *r2 = img + (size_t)p->y2[y] * in_row;
            for (x = 0; x < out_dims->w; ++x) {
                const float w11 = p->dx2[x] * p->dy2[y];
                const float w12 = p->dx1[x] * p->dy2[y];
                const float w21 = p->dx2[x] * p->dy1[y];
                const float w22 = p->dx1[x] * p->dy1[y];
                const float *q11 = r1 + (size_t)p->x1[x] * (size_t)depth;
                const float *q12 = r1 + (size_t)p->x2[x] * (size_t)depth;
                const float *q21 = r2 + (size_t)p->x1[x] * (size_t)depth;
                const float *q22 = r2 + (size_t)p->x2[x] * (size_t)depth;
                for (c = 0; c < depth; ++c) {
                    float v = w11 * q11[c];
                    v = v + w12 * q12[c];
                    v = v + w21 * q21[c];
                    v = v + w22 * q22[c];
                    out[o++] = v;
                }
            }
        }
    }
}
