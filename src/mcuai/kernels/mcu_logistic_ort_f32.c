/*
 * mcu_logistic_ort_f32 - float32 sigmoid, bit-exact with ONNX Runtime's Sigmoid on x86-64
 * (MlasComputeLogistic, FMA3 kernel; checked against ORT 1.32 on 60,000 inputs in [-20, 20]).
 *
 * Rule (float32; fmaf = fused multiply-add; Eigen's rational approximation):
 *   v = clamp(x, -18, 18); s = v * v;
 *   p = Horner_fma(s; 4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05,
 *       8.51377133304701e-03, 2.48287947061529e-01) * v;
 *   q = Horner_fma(s; 6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06,
 *       1.70198817374094e-03, 1.16817656904453e-01, 9.93151921023180e-01);
 *   out = max(p / q + 0.5, 0)   (no upper clamp: ORT returns 1.0000001 for some inputs)
 * No integer arithmetic.
 * In place: in == out is allowed.
 */
#include "mcu_logistic_ort_f32.h"

#include <math.h>

void mcu_logistic_ort_f32(int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        float v = in[i], s, p, q, r;
        v = v < -18.0f ? -18.0f : (v > 18.0f ? 18.0f : v);
        s = v * v;
        p = fmaf(s, 4.37031012579801e-11f, 1.15627324459942e-07f);
        p = fmaf(p, s, 6.08574864600143e-05f);
        p = fmaf(p, s, 8.51377133304701e-03f);
        p = fmaf(p, s, 2.48287947061529e-01f);
        p = p * v;
        q = fmaf(s, 6.10247389755681e-13f, 5.76102136993427e-09f);
        q = fmaf(q, s, 6.29106785017040e-06f);
        q = fmaf(q, s, 1.70198817374094e-03f);
        q = fmaf(q, s, 1.16817656904453e-01f);
        q = fmaf(q, s, 9.93151921023180e-01f);
        r = p / q + 0.5f;
        out[i] = r > 0.0f ? r : 0.0f;
    }
}
