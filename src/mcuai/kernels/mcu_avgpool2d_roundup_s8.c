/*
 * mcu_avgpool2d_roundup_s8 - average pooling over NHWC int8 data holding uint8 values shifted
 * by -128 (how mcuai stores TFLite uint8 tensors), with TFLite's uint8 rounding.
 *
 * Parameters: p->stride, p->padding (top, left: bottom/right follow from the output size),
 *   p->act_min/act_max (the fused activation as an integer clamp, in the int8 domain); the
 *   offsets, dilation and ch_mult fields of mcu_conv_params are unused. f_dims->h/w is the
 *   window.
 * Rule (TFLite reference_ops::AveragePool, uint8 overload): over the window clipped to the
 *   image (padding taps are not counted), with u = q + 128 the stored uint8 value,
 *   sum = sum of u (>= 0), count = number of in-image taps,
 *   avg = (sum + count/2) / count  (C division of non-negative values: rounds half up),
 *   out = clamp(avg - 128, act_min, act_max).
 *   This differs from the int8 rule (mcu_avgpool2d_s8 rounds half away from zero) on negative
 *   int8 sums, so uint8 layers need this variant. As in the reference, the raw values are
 *   averaged (input and output quantization must be equal; TFLite only DCHECKs it).
 * Overflow: int32 sum of at most Kh*Kw values <= 255: fits for windows below 2^23 taps.
 */
#include "mcu_avgpool2d_roundup_s8.h"

void mcu_avgpool2d_roundup_s8(const mcu_conv_params *p, const mcu_dims *in_dims,
                              const int8_t *in, const mcu_dims *f_dims,
                              const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    int32_t b, oy, ox, c, ky, kx;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = in_h - y0 < k_h ? in_h - y0 : k_h;
            for (ox = 0; ox < out_dims->w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = in_w - x0 < k_w ? in_w - x0 : k_w;
                const int32_t win_h = ky1 - ky0, win_w = kx1 - kx0;
                const int32_t cnt = win_h * win_w;
                const int8_t *win =
                    in_b + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)in_c;
                for (c = 0; c < in_c; ++c) {
                    const int8_t *px = win + c;
                    int32_t acc = 128 * cnt; /* sum of u = sum of (q + 128) */
                    for (ky = 0; ky < win_h; ++ky) {
                        const int8_t *row = px + (size_t)ky * (size_t)in_w * (size_t)in_c;
                        for (kx = 0; kx < win_w; ++kx) {
                            acc += (int32_t)row[(size_t)kx * (size_t)in_c];
                        }
                    }
                    acc = (acc + cnt / 2) / cnt - 128;
                    *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
