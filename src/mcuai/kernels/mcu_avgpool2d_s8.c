/*
 * mcu_avgpool2d_s8 - int8 average pooling over NHWC data.
 *
 * Parameters: p->stride, p->padding (top, left: bottom/right follow from the output size),
 *   p->act_min/act_max (the fused activation as an integer clamp); the offsets, dilation and
 *   ch_mult fields of mcu_conv_params are unused. f_dims->h/w is the window.
 * Rule (TFLite reference_integer_ops::AveragePool, int8): over the window clipped to the image
 *   (padding taps are not counted), sum = sum of the raw q, count = number of in-image taps,
 *   avg = sum > 0 ? (sum + count/2) / count : (sum - count/2) / count   (C division, truncating:
 *   rounds half away from zero), out = clamp(avg, act_min, act_max).
 *   The raw integers are averaged: TFLite requires equal input and output quantization (it only
 *   DCHECKs it) and ignores both; so does this kernel.
 * Cortex-M DSP extension (__ARM_FEATURE_DSP, not MCU_PORTABLE): four channels per word, summed
 *   with SXTAB16 in 16-bit lanes when the window has at most 256 in-image taps (exact, see
 *   avg4_sums); then the same division. Helium (__ARM_FEATURE_MVE, Cortex-M55): eight channels
 *   per int16x8 vector (sums of at most 256 taps, exact), the last ones tail-predicated.
 * Overflow: int32 sum of at most Kh*Kw values of magnitude <= 2^7:
 *   fits for windows below 2^24 taps.
 */
#include "mcu_avgpool2d_s8.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(MCU_PORTABLE)
#include <arm_mve.h>
#define MCU_AVGPOOL_MVE 1
#elif defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
#include <arm_acle.h>
#include <string.h>
#define MCU_AVGPOOL_DSP 1

/* Sums of four channels over a window of at most 256 taps: SXTAB16 adds bytes 0/2 (and, with
 * ROR #8, bytes 1/3) into 16-bit lanes; |sum| <= 128 * 256 = 2^15 fits each lane exactly
 * (-32768 .. 32512), and lanes never carry into each other. */
static inline void avg4_sums(const int8_t *px, int32_t win_h, int32_t win_w, size_t row_step,
                             size_t ch, int32_t sum[4])
{
    int32_t s02 = 0, s13 = 0, ky, kx;
    for (ky = 0; ky < win_h; ++ky) {
        const int8_t *r = px + (size_t)ky * row_step;
        for (kx = 0; kx < win_w; ++kx) {
            uint32_t v;
            memcpy(&v, r + (size_t)kx * ch, 4);
            s02 = __sxtab16(s02, (int32_t)v);
            __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(s13) : "r"(s13), "r"(v));
        }
    }
    sum[0] = (int16_t)(s02 & 0xffff);
    sum[1] = (int16_t)(s13 & 0xffff);
    sum[2] = s02 >> 16;
    sum[3] = s13 >> 16;
}
#endif

void mcu_avgpool2d_s8(const mcu_conv_params *p, const mcu_dims *in_dims,
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
                const int8_t *win =
                    in_b + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)in_c;
                c = 0;
#if defined(MCU_AVGPOOL_MVE)
                if (win_h * win_w <= 256 && win_h * win_w > 0) {
                    /* 8 channels per int16x8 vector (VLDRB.S16 widening loads): sums of at most
                     * 256 int8 values fit int16 exactly; then the same division per lane */
                    const int32_t cnt = win_h * win_w;
                    int16_t sum[8];
                    int32_t j, nc;
                    for (; c < in_c; c += nc) {
                        const mve_pred16_t pr = vctp16q((uint32_t)(in_c - c));
                        int16x8_t acc = vdupq_n_s16(0);
                        nc = in_c - c < 8 ? in_c - c : 8;
                        for (ky = 0; ky < win_h; ++ky) {
                            const int8_t *r = win + c + (size_t)ky * (size_t)in_w * (size_t)in_c;
                            for (kx = 0; kx < win_w; ++kx) {
                                acc = vaddq_s16(acc, vldrbq_z_s16(r + (size_t)kx * (size_t)in_c, pr));
                            }
                        }
                        vst1q_s16(sum, acc);
                        for (j = 0; j < nc; ++j) {
                            const int32_t v = sum[j];
                            const int32_t a = v > 0 ? (v + cnt / 2) / cnt : (v - cnt / 2) / cnt;
                            *out++ = (int8_t)mcu_clamp(a, p->act_min, p->act_max);
                        }
                    }
                }
#endif
#if defined(MCU_AVGPOOL_DSP)
                if (win_h * win_w <= 256 && win_h * win_w > 0) {
                    const int32_t cnt = win_h * win_w;
                    int32_t sum[4], j;
                    for (; c + 4 <= in_c; c += 4) {
                        avg4_sums(win + c, win_h, win_w, (size_t)in_w * (size_t)in_c,
                                  (size_t)in_c, sum);
                        for (j = 0; j < 4; ++j) {
                            const int32_t acc = sum[j] > 0 ? (sum[j] + cnt / 2) / cnt
                                                           : (sum[j] - cnt / 2) / cnt;
                            *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                        }
                    }
                }
#endif
                for (; c < in_c; ++c) {
                    const int8_t *px = win + c;
                    int32_t acc = 0;
                    for (ky = 0; ky < win_h; ++ky) {
                        const int8_t *row = px + (size_t)ky * (size_t)in_w * (size_t)in_c;
                        for (kx = 0; kx < win_w; ++kx) {
                            acc += (int32_t)row[(size_t)kx * (size_t)in_c];
                        }
                    }
                    const int32_t cnt = win_h * win_w;
                    acc = acc > 0 ? (acc + cnt / 2) / cnt : (acc - cnt / 2) / cnt;
                    *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
