/*
 * mcu_prelu_ort_s8 - int8 PRelu with ONNX Runtime's arithmetic. ORT has no integer PRelu:
 * DequantizeLinear -> PRelu -> QuantizeLinear runs as three float ops, so per element
 * (float32):
 *   v   = (float)(q - zp_x) * s_x                          (DequantizeLinear)
 *   r   = v > 0 ? v : v * alpha                            (PRelu; alpha = the slope's
 *                                                           DequantizeLinear, emitted as float)
 *   out = saturate(round_half_to_even(r / s_y) + zp_y)     (QuantizeLinear, float division)
 * The slope broadcasts through the walk's strides (0 where it is broadcast).
 * No integer overflow: q - zp_x is at most 255 in magnitude; the rest is float32.
 * Not in place: out must not overlap x unless both walk x contiguously (element i is read
 * before it is written, so out == x is allowed when x is not broadcast).
 */
#include "mcu_prelu_ort_s8.h"

void mcu_prelu_ort_s8(const mcu_prelu_ort_params *p, const mcu_bcast *bc, const int8_t *x,
                      const float *alpha, int8_t *out)
{
    int32_t i0;
    int32_t i1;
    int32_t i2;
    int32_t i3;
    size_t o = 0;
    for (i0 = 0; i0 < bc->d0; ++i0) {
        for (i1 = 0; i1 < bc->d1; ++i1) {
            for (i2 = 0; i2 < bc->d2; ++i2) {
                const size_t xa = (size_t)i0 * (size_t)bc->a0 + (size_t)i1 * (size_t)bc->a1
                                  + (size_t)i2 * (size_t)bc->a2;
                const size_t sb = (size_t)i0 * (size_t)bc->b0 + (size_t)i1 * (size_t)bc->b1
                                  + (size_t)i2 * (size_t)bc->b2;
                for (i3 = 0; i3 < bc->d3; ++i3) {
                    const float v = (float)((int32_t)x[xa + (size_t)i3 * (size_t)bc->a3] - p->zp_x)
                                    * p->scale_x;
                    const float r = v > 0.0f ? v : v * alpha[sb + (size_t)i3 * (size_t)bc->b3];
                    out[o++] = (int8_t)mcu_ort_saturate(r / p->scale_y, p->zp_y, -128, 127);
                }
            }
        }
    }
}
