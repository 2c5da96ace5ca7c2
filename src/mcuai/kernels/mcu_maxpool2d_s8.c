/*
 * mcu_maxpool2d_s8 - int8 max pooling over NHWC data.
 *
 * Parameters: p->stride, p->padding (top, left: bottom/right follow from the output size),
 *   p->act_min/act_max (the fused activation as an integer clamp); the offsets, dilation and
 *   ch_mult fields of mcu_conv_params are unused. f_dims->h/w is the window.
 * Rule (TFLite reference_integer_ops::MaxPool, int8): out = clamp(max over the window clipped to
 *   the image (padding never wins), act_min, act_max) on the raw integers (TFLite requires equal
 *   input and output quantization and ignores both). No arithmetic, no overflow.
 * Cortex-M DSP extension (__ARM_FEATURE_DSP, not MCU_PORTABLE): four channels per word,
 *   byte-wise signed max/min with SSUB8 + SEL (the same comparisons on the same integers).
 *   Helium (__ARM_FEATURE_MVE, Cortex-M55): 16 channels per vector, VMAX/VMIN, the last
 *   channels tail-predicated (disabled lanes load 0 and are never stored).
 */
#include "mcu_maxpool2d_s8.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(MCU_PORTABLE)
#include <arm_mve.h>
#define MCU_MAXPOOL_MVE 1
#elif defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
#include <arm_acle.h>
#include <string.h>
#define MCU_MAXPOOL_DSP 1

/* Byte-wise signed maximum / minimum of four channels: SSUB8 sets the GE flag of each byte
 * where a >= b, SEL then picks bytes of its first operand there and of its second elsewhere
 * (one asm statement so nothing can come between the flags and their use). */
static inline uint32_t max4(uint32_t a, uint32_t b)
{
    uint32_t d, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %2, %3" : "=&r"(d), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)d;
    return r;
}

static inline uint32_t min4(uint32_t a, uint32_t b)
{
    uint32_t d, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %3, %2" : "=&r"(d), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)d;
    return r;
}
#endif

void mcu_maxpool2d_s8(const mcu_conv_params *p, const mcu_dims *in_dims,
                      const int8_t *in, const mcu_dims *f_dims,
                      const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    int32_t b, oy, ox, c, ky, kx;
#if defined(MCU_MAXPOOL_DSP)
    const uint32_t lo4 = (uint32_t)(uint8_t)(int8_t)p->act_min * 0x01010101u;
    const uint32_t hi4 = (uint32_t)(uint8_t)(int8_t)p->act_max * 0x01010101u;
#endif

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
#if defined(MCU_MAXPOOL_MVE)
                for (; c < in_c; c += 16) {
                    /* 16 channels per vector, the last ones tail-predicated */
                    const mve_pred16_t pr = vctp8q((uint32_t)(in_c - c));
                    int8x16_t m = vdupq_n_s8(-128);
                    for (ky = 0; ky < win_h; ++ky) {
                        const int8_t *row = win + c + (size_t)ky * (size_t)in_w * (size_t)in_c;
                        for (kx = 0; kx < win_w; ++kx) {
                            m = vmaxq_s8(m, vldrbq_z_s8(row + (size_t)kx * (size_t)in_c, pr));
                        }
                    }
                    m = vminq_s8(vmaxq_s8(m, vdupq_n_s8((int8_t)p->act_min)),
                                 vdupq_n_s8((int8_t)p->act_max));
                    vstrbq_p_s8(out, m, pr);
                    out += in_c - c < 16 ? in_c - c : 16;
                }
#endif
#if defined(MCU_MAXPOOL_DSP)
                for (; c + 4 <= in_c; c += 4) {
                    uint32_t m = 0x80808080u;
                    for (ky = 0; ky < win_h; ++ky) {
                        const int8_t *row = win + c + (size_t)ky * (size_t)in_w * (size_t)in_c;
                        for (kx = 0; kx < win_w; ++kx) {
                            uint32_t v;
                            memcpy(&v, row + (size_t)kx * (size_t)in_c, 4);
                            m = max4(v, m);
                        }
                    }
                    m = min4(max4(m, lo4), hi4);
                    memcpy(out, &m, 4);
                    out += 4;
                }
#endif
                for (; c < in_c; ++c) {
                    const int8_t *px = win + c;
                    int32_t acc = -128;
                    for (ky = 0; ky < win_h; ++ky) {
                        const int8_t *row = px + (size_t)ky * (size_t)in_w * (size_t)in_c;
                        for (kx = 0; kx < win_w; ++kx) {
                            const int32_t v = (int32_t)row[(size_t)kx * (size_t)in_c];
                            acc = v > acc ? v : acc;
                        }
                    }
                    *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
