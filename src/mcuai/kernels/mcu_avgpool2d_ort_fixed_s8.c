/*
 * mcu_avgpool2d_ort_fixed_s8 - int8 average pooling over NHWC data whose input and output
 * quantizations differ, integer-only (ONNX pooling under --requant fixed-point, for cores
 * without an FPU; an approximation of ONNX Runtime's float rule, reported by validate).
 *
 * Math: real = scale * (q - zp). Over the window clipped to the image (count = in-image taps):
 *   acc = sum (in + input_offset)                                  (exact int32)
 *   out = clamp(MultiplyByQuantizedMultiplier(acc, M[count]) + output_offset, act_min, act_max)
 *   with M[count] = s_x / (s_y * count) as a Q31 multiplier and shift, one per possible count
 *   (computed at generation time; mcu_requantize of mcu_nn.h).
 * Overflow: |in + input_offset| <= 255, so windows up to 2^23 taps fit int32.
 */
#include "mcu_avgpool2d_ort_fixed_s8.h"

void mcu_avgpool2d_ort_fixed_s8(const mcu_avgpool_ort_fixed_params *p, const mcu_dims *in_dims,
                              const int8_t *in, const mcu_dims *window,
                              const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    int32_t b, oy, ox, c, y, x;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * ch;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ys = y0 < 0 ? 0 : y0;
            const int32_t ye = y0 + window->h < in_h ? y0 + window->h : in_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t xs = x0 < 0 ? 0 : x0;
                const int32_t xe = x0 + window->w < in_w ? x0 + window->w : in_w;
                const int32_t k = (ye - ys) * (xe - xs) - 1;
                for (c = 0; c < ch; ++c) {
                    int32_t acc = 0;
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            acc += (int32_t)in_b[((size_t)y * in_w + x) * ch + c]
                                   + p->input_offset;
                        }
                    }
                    acc = k < 0 ? 0 : mcu_requantize(acc, p->multiplier[k], p->shift[k]);
                    *out++ = (int8_t)mcu_clamp(acc + p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
