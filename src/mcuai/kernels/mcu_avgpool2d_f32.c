/*
 * mcu_avgpool2d_f32 - float32 2-D average pooling over NHWC.
 *
 * Rule (TFLite reference_ops::AveragePool, float): for each output (b, oy, ox, c) the window
 * is clipped to the image (padding never counts), total = sum over ky, then kx, of the
 * in-image elements (float32, from 0.0f), count = number of those elements, and
 *   out = clamp(total / (float)count, act.min, act.max).
 * Same order and division as the reference: bit-exact with LiteRT BUILTIN_REF.
 */
#include "mcu_avgpool2d_f32.h"

void mcu_avgpool2d_f32(const mcu_pool_params_f32 *p,
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
                    float total = 0.0f;
                    int32_t count = 0;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            total += in_b[((size_t)y * in_w + x) * ch + c];
                            ++count;
                        }
                    }
                    *out++ = mcu_clampf(count > 0 ? total / (float)count : 0.0f, &p->act);
                }
            }
        }
    }
}
