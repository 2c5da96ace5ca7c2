/*
 * mcu_mul_ort_s8 - int8 element-wise Mul with ONNX Runtime's arithmetic; either operand may
 * be a single element broadcast over the other, otherwise both have `size` elements.
 *
 * fused = 1: QLinearMul (com.microsoft; what ORT makes of DQ -> Mul -> Q), MLAS SSE2 kernel
 *   (MlasQLinearMulKernel):
 *     acc = (a - zp_a) * (b - zp_b)                                   (exact int32)
 *     r   = (float)acc * ratio + (float)(zp_y + offset)               (float32 multiply, then
 *                                                                      add: no FMA)
 *     out = saturate(round_half_to_even(r)) - offset,  ratio = f32(s_a * s_b) / s_y
 *   offset = 128 when ORT converted the activations to uint8 (QDQS8ToU8Transformer): the
 *   zero point then enters the float addition as zp_y + 128, saturation is to [0, 255].
 * fused = 0: the float ops ORT keeps when it does not fuse:
 *     out = saturate(round_half_to_even(((float)(a - zp_a) * s_a * ((float)(b - zp_b) * s_b))
 *           / s_y) + zp_y)                                  (DequantizeLinear, Mul, QuantizeLinear)
 * Both clamp to [act_min, act_max]. Overflow: |acc| <= 255 * 255.
 * In place: out may be the same buffer as a or b when that operand has `size` elements
 *   (element i is read before it is written).
 */
#include "mcu_mul_ort_s8.h"

void mcu_mul_ort_s8(const mcu_mul_ort_params *p, int32_t size_a, const int8_t *a,
                    int32_t size_b, const int8_t *b, int32_t size, int8_t *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const int32_t qa = a[size_a == 1 ? 0 : i];
        const int32_t qb = b[size_b == 1 ? 0 : i];
        if (p->fused) {
            const int32_t off = p->offset;
            const float r = (float)((qa - p->zp_a) * (qb - p->zp_b)) * p->ratio
                            + (float)(p->zp_y + off);
            out[i] = (int8_t)(mcu_ort_saturate(r, 0, p->act_min + off, p->act_max + off) - off);
        } else {
            const float fa = (float)(qa - p->zp_a) * p->scale_a;
            const float fb = (float)(qb - p->zp_b) * p->scale_b;
            out[i] = (int8_t)mcu_ort_saturate((fa * fb) / p->scale_y, p->zp_y, p->act_min,
                                              p->act_max);
        }
    }
}

static void mul_row(const void *params, const void *a, int32_t a_step, const void *b,
                    int32_t b_step, void *out, int32_t n)
{
    const int32_t size_a = (a_step == 0 && b_step != 0) ? 1 : n;
    const int32_t size_b = (b_step == 0 && a_step != 0) ? 1 : n;
    mcu_mul_ort_s8((const mcu_mul_ort_params *)params, size_a, (const int8_t *)a, size_b,
                   (const int8_t *)b, n, (int8_t *)out);
}

void mcu_mul_ort_bcast_s8(const mcu_mul_ort_params *p, const mcu_bcast *bc, const int8_t *a,
                          const int8_t *b, int8_t *out)
{
    mcu_binary_bcast(p, bc, sizeof(int8_t), a, b, out, mul_row);
}
