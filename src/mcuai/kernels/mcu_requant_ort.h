/*
 * mcu_requant_ort.h - ONNX Runtime (CPU, MLAS) float requantization, shared by the *_ort_*
 * kernels: inline helpers, the quantization struct and mcu_requant_ort_s8 (an int32 array
 * requantized to int8, the helper as a function).
 *
 * Math: real = scale * (q - zp). ONNX Runtime requantizes an int32 accumulator in float32
 * (MlasRequantizeOutput, the output processor of QLinearConv / QGemm / QLinearMatMul and
 * of QLinearGlobalAveragePool):
 *   v = (float)acc * scale                 int32 -> float32 rounds to nearest even (|acc| > 2^24)
 *   v = min(max(v, lo - zp), hi - zp)      clamp in float (lo, hi: integer bounds)
 *   q = round_half_to_even(v) + zp         (cvtps2dq / "magic number" under the default mode)
 * `scale` is the float32 value ONNX Runtime computes once (e.g. (s_x * s_w[c]) / s_y, each
 * operation rounded to float32); the code generator emits it exactly (mcuai.lower.ort).
 * Clamping before rounding gives the same integers as rounding then saturating, because the
 * bounds are integers.
 *
 * Two-step rule (post_scale != NULL): a model that requantizes ConvInteger / MatMulInteger
 * itself, ConvInteger -> Cast(float) -> Mul(c) [-> Relu/Clip] -> QuantizeLinear(s_y, zp),
 * runs in ONNX Runtime as separate float32 nodes, i.e. two roundings:
 *   t = (float)acc * c[o]                  Cast (exact for |acc| <= 2^24) and Mul, float32
 *   v = t / s_y                            MLAS QuantizeLinear divides (not a reciprocal)
 *   q = saturate(round_half_to_even(v) + zp)  (mcu_ort_saturate; a Relu/Clip before the
 *                                             QuantizeLinear is the integer clamp [lo, hi]:
 *                                             quantizing is monotonic)
 * Measured: a numpy model of exactly this matches ORT 1.32 on every output of the op-matrix
 * cases, while the folded scale f32(s_x * f32(c / s_x)) / s_y is 1 LSB off on some.
 *
 * Rounding: mcu_ort_round adds and subtracts 1.5 * 2^23 (exact half-to-even for |v| <= 2^22
 * under the default rounding mode, as MLAS's scalar path). It needs float arithmetic in float32
 * (FLT_EVAL_METHOD == 0: x86-64 SSE, Arm VFP/MVE); other evaluation methods use nearbyintf.
 * Build without -ffast-math and with -ffp-contract=off (the generated build files say so).
 */
#ifndef MCU_REQUANT_ORT_H
#define MCU_REQUANT_ORT_H

#include <float.h>
#include <math.h>

#include "mcu_nn.h"

/* Float requantization of ONNX Runtime: one float32 scale per output channel. */
typedef struct {
    const float *scale;     /* scale[o * step] */
    int32_t step;           /* 0: per tensor, 1: per channel */
    int32_t weights_offset; /* -zp_w (ONNX Runtime needs one zero point for all channels) */
    const float *post_scale; /* NULL, or the two-step rule: c[o * step] (scale then unused) */
    float out_scale;         /* s_y of the two-step rule */
} mcu_quant_ort;

/* round_half_to_even(v) for |v| <= 2^22. */
MCU_INLINE int32_t mcu_ort_round(float v)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    const float t = v + magic; /* rounds to an integer: the float32 ulp at 2^23 is 1 */
    return (int32_t)(t - magic);
#else
    return (int32_t)nearbyintf(v);
#endif
}

/* saturate(round_half_to_even((float)acc * scale) + zp) into [lo, hi]. */
MCU_INLINE int32_t mcu_ort_requant(int32_t acc, float scale, int32_t zp, int32_t lo, int32_t hi)
{
    float v = (float)acc * scale;
    const float flo = (float)(lo - zp);
    const float fhi = (float)(hi - zp);
    v = v >= flo ? v : flo;
    v = v > fhi ? fhi : v;
    return mcu_ort_round(v) + zp;
}

/* saturate(round_half_to_even(v) + zp) into [lo, hi] for a float already in output units
   (MLAS QuantizeLinear after its division: max with lo - zp first, so NaN gives lo). */
MCU_INLINE int32_t mcu_ort_saturate(float v, int32_t zp, int32_t lo, int32_t hi)
{
    const float flo = (float)(lo - zp);
    const float fhi = (float)(hi - zp);
    v = v >= flo ? v : flo;
    v = v > fhi ? fhi : v;
    return mcu_ort_round(v) + zp;
}

/* Output channel o of an *_ort_* kernel: mcu_ort_requant with scale[o * step], or the
   two-step rule with post_scale[o * step] and out_scale (see the header comment). */
MCU_INLINE int32_t mcu_ort_requant_q(const mcu_quant_ort *q, int32_t acc, int32_t o, int32_t zp,
                                     int32_t lo, int32_t hi)
{
    if (q->post_scale != NULL) {
        const float t = (float)acc * q->post_scale[o * q->step];
        return mcu_ort_saturate(t / q->out_scale, zp, lo, hi);
    }
    return mcu_ort_requant(acc, q->scale[o * q->step], zp, lo, hi);
}

/* out[i] = mcu_ort_requant(acc[i], scale, zp, lo, hi) for i < n. */
void mcu_requant_ort_s8(const int32_t *acc, int32_t n, float scale, int32_t zp, int32_t lo,
                        int32_t hi, int8_t *out);

#endif /* MCU_REQUANT_ORT_H */
