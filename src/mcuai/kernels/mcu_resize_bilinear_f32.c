/*
 * mcu_resize_bilinear_f32 - float bilinear resize of NHWC data (RESIZE_BILINEAR).
 *
 * Rule: TFLite reference_ops::ResizeBilinear<float>: scale = in/out in float32 (align_corners
 *   and out > 1: (in-1)/(out-1)), in_y = y*scale (half_pixel_centers: (y + 0.5f)*scale - 0.5f),
 *   y0 = max(floor(in_y), 0), y1 = min(ceil(in_y), in-1) (tables from the lowering, numpy
 *   float32), and
 *     out = in[y0,x0]*ya*xa + in[y1,x0]*yb*xa + in[y0,x1]*ya*xb + in[y1,x1]*yb*xb + 0.0f
 *   evaluated left to right in float32 with ya = 1 - (in_y - y0), yb = in_y - y0: the same
 *   operations in the same order, so the result is bit-identical provided the compiler does
 *   not contract a multiply and an add into an FMA: each statement holds one operation (clang's
 *   default -ffp-contract=on only fuses within a statement); gcc in GNU modes (-std=gnu99,
 *   CMake's default for C_STANDARD 99) fuses across statements on FPUs with FMA (Cortex-M4F/M7):
 *   build with -std=c99 or -ffp-contract=off.
 * Overflow: not applicable (float).
 */
#include "mcu_resize_bilinear_f32.h"

void mcu_resize_bilinear_f32(const mcu_resize_bilinear_f32_params *p,
                             const mcu_dims *in_dims, const float *in,
                             const mcu_dims *out_dims, float *out)
{
    const int32_t depth = in_dims->c;
    const size_t in_row = (size_t)in_dims->w * (size_t)depth;
    const size_t in_img = (size_t)in_dims->h * in_row;
    int32_t b, y, x, c;

    for (b = 0; b < out_dims->n; ++b) {
        const float *img = in + (size_t)b * in_img;
        for (y = 0; y < out_dims->h; ++y) {
            const float *r0 = img + (size_t)p->y0[y] * in_row;
            const float *r1 = img + (size_t)p->y1[y] * in_row;
            const float ya = p->ya[y], yb = p->yb[y];
            for (x = 0; x < out_dims->w; ++x) {
                const float *p00 = r0 + (size_t)p->x0[x] * (size_t)depth;
                const float *p01 = r0 + (size_t)p->x1[x] * (size_t)depth;
                const float *p10 = r1 + (size_t)p->x0[x] * (size_t)depth;
                const float *p11 = r1 + (size_t)p->x1[x] * (size_t)depth;
                const float xa = p->xa[x], xb = p->xb[x];
                for (c = 0; c < depth; ++c) {
                    /* one operation per statement: no FMA contraction even with clang's
                       default -ffp-contract=on */
                    float v = p00[c] * ya;
                    float t;
                    v = v * xa;
                    t = p10[c] * yb;
                    t = t * xa;
                    v = v + t;
                    t = p01[c] * ya;
                    t = t * xb;
                    v = v + t;
                    t = p11[c] * yb;
                    t = t * xb;
                    v = v + t;
                    *out++ = v + 0.0f;
                }
            }
        }
    }
}
