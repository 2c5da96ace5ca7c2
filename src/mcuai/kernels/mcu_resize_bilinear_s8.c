/*
 * mcu_resize_bilinear_s8 - int8 bilinear resize of NHWC data (RESIZE_BILINEAR).
 *
 * Rule: TFLite reference_ops::ResizeBilinearInteger (what LiteRT BUILTIN_REF runs for int8;
 *   default double rounding, not TFLITE_SINGLE_ROUNDING). With 10-bit scales
 *   s = (1024*in + out/2) / out (align_corners and out > 1: (1024*(in-1) + (out-1)/2)/(out-1)),
 *   v = i*s (+ s/2 - 512 with half_pixel_centers), i0 = max(v/1024, 0),
 *   i1 = min((v + 1023)/1024, in-1), w = v - 1024*i0 (C truncating divisions; tables computed
 *   by the lowering), each output is
 *     acc = in[y0,x0]*(1024-wy)*(1024-wx) + in[y1,x0]*wy*(1024-wx)
 *         + in[y0,x1]*(1024-wy)*wx     + in[y1,x1]*wy*wx,
 *     out = (acc + (acc > 0 ? 2^19 : -2^19)) / 2^20   (truncating: rounds half away from 0).
 *   Stored values are interpolated directly: the quantization parameters are not used (the
 *   reference ignores them too).
 * Overflow: w is in [-512, 1023] (negative only when i0 == i1), so each weight product is at
 *   most 1536*1536 in magnitude and |acc| <= 128 * (1536 + 1023)^2 < 2^30: int32 suffices.
 */
#include "mcu_resize_bilinear_s8.h"

void mcu_resize_bilinear_s8(const mcu_resize_bilinear_params *p,
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
            const int32_t wy1 = p->wy[y], wy0 = 1024 - wy1;
            for (x = 0; x < out_dims->w; ++x) {
                const int8_t *p00 = r0 + (size_t)p->x0[x] * (size_t)depth;
                const int8_t *p01 = r0 + (size_t)p->x1[x] * (size_t)depth;
                const int8_t *p10 = r1 + (size_t)p->x0[x] * (size_t)depth;
                const int8_t *p11 = r1 + (size_t)p->x1[x] * (size_t)depth;
                const int32_t wx1 = p->wx[x], wx0 = 1024 - wx1;
                const int32_t w00 = wy0 * wx0, w10 = wy1 * wx0, w01 = wy0 * wx1, w11 = wy1 * wx1;
                for (c = 0; c < depth; ++c) {
                    const int32_t acc = (int32_t)p00[c] * w00 + (int32_t)p10[c] * w10 +
                                        (int32_t)p01[c] * w01 + (int32_t)p11[c] * w11;
                    const int32_t round = acc > 0 ? (1 << 19) : -(1 << 19);
                    *out++ = (int8_t)((acc + round) / (1 << 20));
                }
            }
        }
    }
}
