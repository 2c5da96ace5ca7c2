/*
 * mcu_requant_ort - an int32 array requantized to int8 with ONNX Runtime's float rule
 * (MlasRequantizeOutput, per tensor); the unit also carries the inline helpers of
 * mcu_requant_ort.h that every *_ort_* kernel uses (see that header for the rule).
 *   out[i] = saturate(round_half_to_even((float)acc[i] * scale) + zp) into [lo, hi].
 * No integer overflow: the clamp happens in float before the conversion.
 */
#include "mcu_requant_ort.h"

void mcu_requant_ort_s8(const int32_t *acc, int32_t n, float scale, int32_t zp, int32_t lo,
                        int32_t hi, int8_t *out)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i] = (int8_t)mcu_ort_requant(acc[i], scale, zp, lo, hi);
    }
}
