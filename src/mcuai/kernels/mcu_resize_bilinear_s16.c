/*
 * mcu_resize_bilinear_s16 - int16 bilinear resize of NHWC data (RESIZE_BILINEAR).
 *
 * Rule: TFLite reference_ops::ResizeBilinearInteger<int16_t> (LiteRT runs it for int16 with
 *   every resolver), exactly as mcu_resize_bilinear_s8: 10-bit index/weight tables from the
 *   lowering, acc = sum of the four neighbours times their weight products (2^20 in total),
 *   out = (acc + (acc > 0 ? 2^19 : -2^19)) / 2^20 truncating. Stored values are interpolated
 *   directly (no quantization parameters involved).
 * Overflow: |acc| <= 32768 * (1536 + 1023)^2 < 2^38: accumulated in int64 (as the reference).
 */
#include "mcu_resize_bilinear_s16.h"

void mcu_resize_bilinear_s16(const mcu_resize_bilinear_params *p,
                             const mcu_dims *in_dims, const int16_t *in,
                             const mcu_dims *out_dims, int16_t *out)
{
    const int32_t depth = in_dims->c;
    const size_t in_row = (size_t)in_dims->w * (size_t)depth;
    const size_t in_img = (size_t)in_dims->h * in_row;
    int32_t b, y, x, c;

    for (b = 0; b < out_dims->n; ++b) {
        const int16_t *img = in + (size_t)b * in_img;
        for (y = 0; y < out_dims->h; ++y) {
            const int16_t *r0 = img + (size_t)p->y0[y] * in_row;
            const int16_t *r1 = img + (size_t)p->y1[y] * in_row;
            const int32_t wy1 = p->wy[y], wy0 = 1024 - wy1;
            for (x = 0; x < out_dims->w; ++x) {
                const int16_t *p00 = r0 + (size_t)p->x0[x] * (size_t)depth;
                const int16_t *p01 = r0 + (size_t)p->x1[x] * (size_t)depth;
                const int16_t *p10 = r1 + (size_t)p->x0[x] * (size_t)depth;
                const int16_t *p11 = r1 + (size_t)p->x1[x] * (size_t)depth;
                const int32_t wx1 = p->wx[x], wx0 = 1024 - wx1;
                const int64_t w00 = (int64_t)wy0 * wx0, w10 = (int64_t)wy1 * wx0;
                const int64_t w01 = (int64_t)wy0 * wx1, w11 = (int64_t)wy1 * wx1;
                for (c = 0; c < depth; ++c) {
                    const int64_t acc = p00[c] * w00 + p10[c] * w10 + p01[c] * w01 +
                                        p11[c] * w11;
                    const int64_t round = acc > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);
                    *out++ = (int16_t)((acc + round) / ((int64_t)1 << 20));
                }
            }
        }
    }
}
