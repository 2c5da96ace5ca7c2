/*
 * mcu_conv2d_ort_float_s8 - int8 2-D convolution (NHWC input, OHWI filter, one group) computed
 * as ONNX Runtime computes a DequantizeLinear -> Conv -> QuantizeLinear group it does not fuse
 * (see mcuai.lower.ort.ort_plan): float32 dequantization, MLAS's float convolution (im2col +
 * SGEMM), QuantizeLinear.
 *
 * Math: real = scale * (q - zp). Rule (MlasConv -> MlasSgemm on x86-64, checked bit for bit
 * against ORT 1.32's float Conv):
 *   x_f = (float)(in + input_offset) * s_x,  w_f = (float)(w + weight_offset[o]) * s_w[o]
 *         (DequantizeLinear; padding taps are 0.0f)
 *   k runs over the im2col order (input channel, then kernel row, then kernel column);
 *   the reduction is cut into blocks of stride_k k (MlasSgemmOperation's StrideK: 128, doubled
 *   while the GEMM's N = output pixels is small against K, halved while K is small; computed at
 *   generation time); each block is a chain of fused multiply-adds
 *   from 0.0f (acc = fmaf(w_f, x_f, acc)); block results are added in order (s = b0 + b1 +
 *   ...), then the float bias (s = s + bias[o]);
 *   out = saturate(round_half_to_even(s / s_y) + output_offset) clamped to [act_min, act_max]
 *   (MlasQuantizeLinear: float32 division).
 * No integer overflow: all accumulation is float32.
 */
#include "mcu_conv2d_ort_float_s8.h"

void mcu_conv2d_ort_float_s8(const mcu_conv_params *p, const mcu_conv_ort_float_quant *q,
                             const mcu_dims *in_dims, const int8_t *in,
                             const mcu_dims *f_dims, const int8_t *filter,
                             const mcu_dims *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = f_dims->h, k_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t taps = k_h * k_w;
    const int32_t depth = in_c * taps;
    int32_t b, oy, ox, o, k;

    for (b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (o = 0; o < out_c; ++o) {
                    const int8_t *w_o = filter + (size_t)o * taps * in_c;
                    const float sw = q->weight_scale[o * q->weight_scale_step];
                    const int32_t wo = q->weight_offset[o * q->weight_scale_step];
                    float sum = 0.0f;
                    float acc = 0.0f;
                    float v;
                    for (k = 0; k < depth; ++k) {
                        const int32_t ci = k / taps;
                        const int32_t ky = (k % taps) / k_w;
                        const int32_t kx = k % k_w;
                        const int32_t y = y0 + ky * p->dilation.h;
                        const int32_t x = x0 + kx * p->dilation.w;
                        if (y >= 0 && y < in_h && x >= 0 && x < in_w) {
                            const float xf =
                                (float)((int32_t)in_b[((size_t)y * in_w + x) * in_c + ci]
                                        + p->input_offset)
                                * q->input_scale;
                            const float wf =
                                (float)((int32_t)w_o[((size_t)ky * k_w + kx) * in_c + ci] + wo)
                                * sw;
                            acc = fmaf(wf, xf, acc);
                        }
                        if ((k + 1) % q->stride_k == 0 || k + 1 == depth) {
                            sum = k < q->stride_k ? acc : sum + acc;
                            acc = 0.0f;
                        }
                    }
                    if (q->bias != NULL) {
                        sum = sum + q->bias[o];
                    }
                    v = sum / q->output_scale;
                    *out++ = (int8_t)mcu_ort_saturate(v, p->output_offset, p->act_min,
                                                      p->act_max);
                }
            }
        }
    }
}
