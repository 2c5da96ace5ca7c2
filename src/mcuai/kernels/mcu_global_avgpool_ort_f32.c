/*
 * mcu_global_avgpool_ort_f32 - float32 GlobalAveragePool (a mean over the N = H*W positions of
 * each channel) in ONNX Runtime's summation order (ORT 1.32, CPU, x86-64):
 *   nchwc = 0: MLAS's global pooling kernel (MlasPoolGlobalKernel, MLAS_AVERAGE_POOLING):
 *     four lanes from 0.0f, lane k += v[4*i + k] for each whole group of 4 values in order;
 *     s = (lane0 + lane2) + (lane1 + lane3) (MlasReduceAddFloat32x4 on SSE; NEON builds of ORT
 *     pair the lanes as (lane0 + lane1) + (lane2 + lane3) and are not followed);
 *     then s += each of the N mod 4 last values in order.
 *   nchwc = 1: ORT's NchwcTransformer turned the pool into its NCHWc form (channel counts that
 *     are a multiple of 16 on AVX-512 hosts): s = 0.0f, s += v[0], v[1], ... row-major.
 *   y = s / (float)N (a float32 division).
 * Each addition is rounded to float32 (build with -ffp-contract=off, no -ffast-math). Checked
 * in numpy against ORT 1.32 bit for bit on 4, 6, 8, 3 channels (plain) and 16, 32, 48
 * channels (NCHWc). No integer arithmetic, so no overflow bound; not in place.
 */
#include "mcu_global_avgpool_ort_f32.h"

void mcu_global_avgpool_ort_f32(int32_t nchwc, int32_t channels_last, int32_t n, int32_t hw,
                                int32_t c, const float *in, float *out)
{
    const size_t step = channels_last ? (size_t)c : 1u;
    int32_t b, ch, i, k;

    for (b = 0; b < n; ++b) {
        for (ch = 0; ch < c; ++ch) {
            const float *x = channels_last ? in + (size_t)b * hw * c + ch
                                           : in + ((size_t)b * c + ch) * (size_t)hw;
            float s = 0.0f;
            i = 0;
            if (!nchwc) {
                float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                for (; i + 4 <= hw; i += 4) {
                    for (k = 0; k < 4; ++k) {
                        lane[k] = lane[k] + x[(size_t)(i + k) * step];
                    }
                }
                s = (lane[0] + lane[2]) + (lane[1] + lane[3]);
            }
            for (; i < hw; ++i) {
                s = s + x[(size_t)i * step];
            }
            out[(size_t)b * c + ch] = s / (float)hw;
        }
    }
}
