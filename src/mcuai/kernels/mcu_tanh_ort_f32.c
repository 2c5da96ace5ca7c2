/*
 * mcu_tanh_ort_f32 - float32 tanh, bit-exact with ONNX Runtime's Tanh on x86-64
 * (MlasComputeTanh, FMA3 kernel; checked against ORT 1.32 on 60,000 inputs in [-20, 20]).
 *
 * Rule (float32; fmaf = fused multiply-add; Eigen's rational approximation):
 *   v = clamp(x, -9, 9); s = v * v;
 *   p = Horner_fma(s; -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
 *       5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
 *       4.89352455891786e-03) * v;
 *   q = Horner_fma(s; 1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
 *       4.89352518554385e-03);
 *   out = p / q
 * No integer arithmetic.
 * In place: in == out is allowed.
 */
#include "mcu_tanh_ort_f32.h"

#include <math.h>

void mcu_tanh_ort_f32(int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        float v = in[i], s, p, q;
        v = v < -9.0f ? -9.0f : (v > 9.0f ? 9.0f : v);
        s = v * v;
        p = fmaf(s, -2.76076847742355e-16f, 2.00018790482477e-13f);
        p = fmaf(p, s, -8.60467152213735e-11f);
        p = fmaf(p, s, 5.12229709037114e-08f);
        p = fmaf(p, s, 1.48572235717979e-05f);
        p = fmaf(p, s, 6.37261928875436e-04f);
        p = fmaf(p, s, 4.89352455891786e-03f);
        p = p * v;
        q = fmaf(s, 1.19825839466702e-06f, 1.18534705686654e-04f);
        q = fmaf(q, s, 2.26843463243900e-03f);
        q = fmaf(q, s, 4.89352518554385e-03f);
        out[i] = p / q;
    }
}
