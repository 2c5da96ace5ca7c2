/*
 * mcu_avgpool2d_ort_s8 - int8 average pooling over NHWC data with ONNX Runtime's arithmetic
 * (QLinearAveragePool / QLinearGlobalAveragePool, com.microsoft, which ORT also makes of
 * DequantizeLinear -> AveragePool / GlobalAveragePool -> QuantizeLinear). Two rules:
 *
 * Global (the window covers the whole image and there is no padding; QLinearAveragePool
 * itself switches to this path; MlasQLinearGlobalAveragePool{Nchw,Nhwc}):
 *   acc = sum_{y,x} in[y,x,c] - zp_x * (H*W)                (exact int32)
 *   out = saturate(round_half_to_even((float)acc * scale) + zp_y), scale = s_x / (s_y * (float)
 *         (H*W)) in float32 (mcu_requant_ort.h).
 * Window (every other case; contrib_ops/cpu/quantization/qlinear_pool.cc, float):
 *   f(y,x) = s_x * (float)(in[y,x,c] - zp_x)                 (float32 dequantization)
 *   sum    = f over in-image taps, rows outer, columns inner, added in float32 in that order
 *   avg    = sum / (float)count, count = in-image taps (count_include_pad = 0)
 *   out    = saturate(nearbyintf(avg / s_y + (float)zp_y))    (round half to even)
 *   On activations ORT converted to uint8 (QDQS8ToU8Transformer, offset = 128) the zero point
 *   in that last float addition is zp_y + 128; the result saturates to [0, 255], minus 128.
 * Unfused window (unfused = 1: ORT leaves DQ -> AveragePool -> Q in float; MLAS's
 *   MlasPool2DVectorKernel, checked against ORT 1.32's float AveragePool):
 *   col(x) = f(ys,x) + f(ys+1,x) + ... (the rows of the window, in order, from the first value)
 *   sum    = col(xs) + col(xs+1) + ... (in order); avg = sum / (float)count
 *   out    = saturate(round_half_to_even(avg / s_y) + zp_y)    (QuantizeLinear)
 * Unfused, channels a multiple of 16 (unfused = 2): ORT's NchwcTransformer turns the float
 *   AveragePool into its NCHWc form (block of 16 channels with AVX-512, 8 with AVX2; 16 is a
 *   multiple of both), whose kernel sums the window row-major from 0.0f:
 *   sum = ((0 + f(ys,xs)) + f(ys,xs+1)) + ... ; avg = sum / (float)count; QuantizeLinear.
 * Both clamp to [act_min, act_max]. Overflow: |in - zp_x| <= 255, so windows up to 2^23 taps.
 */
#include "mcu_avgpool2d_ort_s8.h"

void mcu_avgpool2d_ort_s8(const mcu_avgpool_ort_params *p, const mcu_dims *in_dims,
                          const int8_t *in, const mcu_dims *window, const mcu_dims *out_dims,
                          int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    int32_t b, oy, ox, c, y, x;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * ch;
        if (p->global) {
            const int32_t bias = -p->input_zp * in_h * in_w;
            for (c = 0; c < ch; ++c) {
                int32_t acc = bias;
                for (y = 0; y < in_h * in_w; ++y) {
                    acc += in_b[(size_t)y * ch + c];
                }
                *out++ = (int8_t)mcu_ort_requant(acc, p->scale, p->output_zp, p->act_min,
                                                 p->act_max);
            }
            continue;
        }
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ys = y0 < 0 ? 0 : y0;
            const int32_t ye = y0 + window->h < in_h ? y0 + window->h : in_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t xs = x0 < 0 ? 0 : x0;
                const int32_t xe = x0 + window->w < in_w ? x0 + window->w : in_w;
                const float count = (float)((ye - ys) * (xe - xs));
                for (c = 0; c < ch; ++c) {
                    float sum = 0.0f;
                    float v;
                    if (p->unfused == 2) {
                        /* NCHWc pooling: the window in row-major order from 0.0f */
                        for (y = ys; y < ye; ++y) {
                            for (x = xs; x < xe; ++x) {
                                const int32_t q = in_b[((size_t)y * in_w + x) * ch + c];
                                sum = sum + p->input_scale * (float)(q - p->input_zp);
                            }
                        }
                        v = sum / count;
                        *out++ = (int8_t)mcu_ort_saturate(v / p->output_scale, p->output_zp,
                                                          p->act_min, p->act_max);
                        continue;
                    }
                    if (p->unfused) {
                        /* MLAS vector kernel: column sums over the rows, then across columns */
                        for (x = xs; x < xe; ++x) {
                            float col = p->input_scale
                                        * (float)(in_b[((size_t)ys * in_w + x) * ch + c]
                                                  - p->input_zp);
                            for (y = ys + 1; y < ye; ++y) {
                                const int32_t q = in_b[((size_t)y * in_w + x) * ch + c];
                                col = col + p->input_scale * (float)(q - p->input_zp);
                            }
                            sum = x == xs ? col : sum + col;
                        }
                        v = sum / count;
                        *out++ = (int8_t)mcu_ort_saturate(v / p->output_scale, p->output_zp,
                                                          p->act_min, p->act_max);
                        continue;
                    }
                    for (y = ys; y < ye; ++y) {
                        for (x = xs; x < xe; ++x) {
                            const int32_t q = in_b[((size_t)y * in_w + x) * ch + c];
                            sum += p->input_scale * (float)(q - p->input_zp);
                        }
                    }
                    v = sum / count;
                    v = v / p->output_scale + (float)(p->output_zp + p->offset);
                    *out++ = (int8_t)(mcu_ort_saturate(v, 0, p->act_min + p->offset,
                                                       p->act_max + p->offset)
                                      - p->offset);
                }
            }
        }
    }
}
