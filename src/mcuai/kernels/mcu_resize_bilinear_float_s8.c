/*
 * mcu_resize_bilinear_float_s8 - bilinear resize of NHWC int8 data holding uint8 values
 * shifted by -128 (how mcuai stores TFLite uint8 tensors), with TFLite's uint8 rule: float
 * interpolation (the int8 rule, mcu_resize_bilinear_s8, is 10-bit fixed point).
 *
 * Rule: TFLite reference_ops::ResizeBilinear<uint8_t> (what LiteRT BUILTIN_REF runs for
 *   uint8): the float tables of mcu_resize_bilinear_f32 (computed in float32 by the lowering),
 *   u = q + 128 the stored uint8 value converted to float, and
 *     v = u[y0,x0]*ya*xa + u[y1,x0]*yb*xa + u[y0,x1]*ya*xb + u[y1,x1]*yb*xb + 0.5f
 *   evaluated left to right in float32, out = (int32)v - 128 (truncation, v >= 0). One
 *   operation per statement, so no FMA contraction with clang's default -ffp-contract=on;
 *   with gcc in GNU modes build with -std=c99 or -ffp-contract=off (see
 *   mcu_resize_bilinear_f32.c). The stored values are interpolated directly (the reference
 *   ignores the quantization parameters).
 * Overflow: not applicable (float; v < 256 since the weights of a pixel sum to ~1).
 */
#include "mcu_resize_bilinear_float_s8.h"

void mcu_resize_bilinear_float_s8(const mcu_resize_bilinear_f32_params *p,
                                  const mcu_dims *in_dims, const int8_t *in,
                                  const mcu_dims *out_dims, int8_t *out)
{
    const int32_t depth = in_dims->c;
    const size_t in_row = (size_t)in_dims->w * (size_t)depth;
    const size_t in_img = (size_t)in_dims->h * in_row;
    int32_t b, y, x, c;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *img = in + (size_t)b * in_img;
        for (y = 0; y < out_dims->h; ++y) {
            const int8_t *r0 = img + (size_t)p->y0[y] * in_row;
            const int8_t *r1 = img + (size_t)p->y1[y] * in_row;
            const float ya = p->ya[y], yb = p->yb[y];
            for (x = 0; x < out_dims->w; ++x) {
                const int8_t *p00 = r0 + (size_t)p->x0[x] * (size_t)depth;
                const int8_t *p01 = r0 + (size_t)p->x1[x] * (size_t)depth;
                const int8_t *p10 = r1 + (size_t)p->x0[x] * (size_t)depth;
                const int8_t *p11 = r1 + (size_t)p->x1[x] * (size_t)depth;
                const float xa = p->xa[x], xb = p->xb[x];
                for (c = 0; c < depth; ++c) {
                    /* one operation per statement (no FMA contraction) */
                    float v = (float)((int32_t)p00[c] + 128) * ya;
                    float t;
                    v = v * xa;
                    t = (float)((int32_t)p10[c] + 128) * yb;
                    t = t * xa;
                    v = v + t;
                    t = (float)((int32_t)p01[c] + 128) * ya;
                    t = t * xb;
                    v = v + t;
                    t = (float)((int32_t)p11[c] + 128) * yb;
                    t = t * xb;
                    v = v + t;
                    v = v + 0.5f;
                    *out++ = (int8_t)((int32_t)v - 128);
                }
            }
        }
    }
}
