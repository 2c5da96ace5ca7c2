/*
 * mcu_maxpool2d_f32 - float32 2-D max pooling over NHWC.
 *
 * Rule (TFLite reference_ops::MaxPool, float): the window is clipped to the image (padding
 * never wins), m = -FLT_MAX, then m = (m < v) ? v : m over ky, kx in order, and
 *   out = clamp(m, act.min, act.max).
 * No arithmetic: bit-exact with LiteRT BUILTIN_REF.
 */
#include "mcu_maxpool2d_f32.h"

void mcu_maxpool2d_f32(const mcu_pool_params_f32 *p,
                        const mcu_dims *in_dims, const float *in,
                        const mcu_dims *out_dims, float *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    int32_t b, oy, ox, c, y, x;

    for (b = 0; b < out_dims->n; ++b) {
        const float *in_b = in + (size_t)b * in_h * in_w * ch;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ys = y0 < 0 ? 0 : y0;
            const int32_t ye = y0 + p->window.h < in_h ? y0 + p->window.h : in_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t xs = x0 < 0 ? 0 : x0;
                const int32_t xe = x0 + p->window.w < in_w ? x0 + p->window.w : in_w;
                for (c = 0; c < ch; ++c) {
                    float m = -3.40282347e+38f;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            const float v = in_b[((size_t)y * in_w + x) * ch + c];
                            m = m < v ? v : m;
                        }
                    }
                    *out++ = mcu_clampf(m, &p->act);
                }
            }
        }
    }
}
