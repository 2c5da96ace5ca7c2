/*
 * mcu_maxpool2d_s16 - int16 max pooling over NHWC data.
 *
 * Parameters: p->stride, p->padding (top, left: bottom/right follow from the output size),
 *   p->act_min/act_max (the fused activation as an integer clamp); the offsets, dilation and
 *   ch_mult fields of mcu_conv_params are unused. f_dims->h/w is the window.
 * Rule (TFLite reference_integer_ops::MaxPool, int16): out = clamp(max over the window clipped to
 *   the image (padding never wins), act_min, act_max) on the raw integers (TFLite requires equal
 *   input and output quantization and ignores both). No arithmetic, no overflow.
 */
#include "mcu_maxpool2d_s16.h"

void mcu_maxpool2d_s16(const mcu_conv_params *p, const mcu_dims *in_dims,
                       const int16_t *in, const mcu_dims *f_dims,
                       const mcu_dims *out_dims, int16_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    int32_t b, oy, ox, c, ky, kx;

    for (b = 0; b < out_dims->n; ++b) {
        const int16_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = in_h - y0 < k_h ? in_h - y0 : k_h;
            for (ox = 0; ox < out_dims->w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = in_w - x0 < k_w ? in_w - x0 : k_w;
                const int32_t win_h = ky1 - ky0, win_w = kx1 - kx0;
                const int16_t *win =
                    in_b + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)in_c;
                for (c = 0; c < in_c; ++c) {
                    const int16_t *px = win + c;
                    int32_t acc = -32768;
                    for (ky = 0; ky < win_h; ++ky) {
                        const int16_t *row = px + (size_t)ky * (size_t)in_w * (size_t)in_c;
                        for (kx = 0; kx < win_w; ++kx) {
                            const int32_t v = (int32_t)row[(size_t)kx * (size_t)in_c];
                            acc = v > acc ? v : acc;
                        }
                    }
                    *out++ = (int16_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
