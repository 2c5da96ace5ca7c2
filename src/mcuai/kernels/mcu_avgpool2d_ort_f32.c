/*
 * mcu_avgpool2d_ort_f32 - float32 average pooling over NHWC data in ONNX Runtime's order
 * (the float rules of mcu_avgpool2d_ort_s8.c, on float data):
 *   nchwc = 0 (MlasPool2DVectorKernel): col(x) = in(ys,x) + in(ys+1,x) + ... (in order),
 *     sum = col(xs) + col(xs+1) + ... (in order)
 *   nchwc = 1 (ORT's NCHWc pooling, channels a multiple of 16): the window row-major from 0.0f
 *   y = sum / (float)count (in-image taps), then the fused activation's clamp.
 * No integer arithmetic. Not in place.
 */
#include "mcu_avgpool2d_ort_f32.h"

void mcu_avgpool2d_ort_f32(const mcu_pool_params_f32 *p, int32_t nchwc,
                           const mcu_dims *in_dims, const float *in,
                           const mcu_dims *out_dims, float *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    int32_t b, oy, ox, c, y, x;

    for (b = 0; b < out_dims->n; ++b) {
        const float *in_b = in + (size_t)b * in_h * in_w * ch;
        for (oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ys = y0 < 0 ? 0 : y0;
            const int32_t ye = y0 + p->window.h < in_h ? y0 + p->window.h : in_h;
            for (ox = 0; ox < out_dims->w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t xs = x0 < 0 ? 0 : x0;
                const int32_t xe = x0 + p->window.w < in_w ? x0 + p->window.w : in_w;
                const float count = (float)((ye - ys) * (xe - xs));
                for (c = 0; c < ch; ++c) {
                    float sum = 0.0f;
                    if (nchwc) {
                        for (y = ys; y < ye; ++y) {
                            for (x = xs; x < xe; ++x) {
                                sum = sum + in_b[((size_t)y * in_w + x) * ch + c];
                            }
                        }
                    } else {
                        for (x = xs; x < xe; ++x) {
                            float col = in_b[((size_t)ys * in_w + x) * ch + c];
                            for (y = ys + 1; y < ye; ++y) {
                                col = col + in_b[((size_t)y * in_w + x) * ch + c];
                            }
                            sum = x == xs ? col : sum + col;
                        }
                    }
                    *out++ = mcu_clampf(sum / count, &p->act);
                }
            }
        }
    }
}
