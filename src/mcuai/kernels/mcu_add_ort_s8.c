/*
 * mcu_add_ort_s8 - int8 element-wise Add with ONNX Runtime's arithmetic; either operand may be
 * a single element broadcast over the other (size_a or size_b == 1), otherwise both have
 * `size` elements. Two rules, chosen at generation time as ORT's graph optimizer chooses:
 *
 * fused = 1: QLinearAdd (com.microsoft; what ORT makes of DQ -> Add -> Q), MLAS AVX2 kernel
 *   (MlasQLinearAddKernelAvx2Helper, the kernel ORT runs on x86-64 with AVX2):
 *     r   = fmaf(a, ratio_a, fmaf(b, ratio_b, fixed))     two fused multiply-adds, float32
 *     out = saturate(round_half_to_even(r))               (cvtps2dq, then saturating packs)
 *   ratio_a = s_a / s_y, ratio_b = s_b / s_y, fixed = (float)zp_y - fma(ratio_a, zp_a, ratio_b*zp_b),
 *   all float32, computed at generation time (mcuai.lower.ort). A broadcast operand is folded
 *   into `fixed` by ORT (fixed += a * ratio_a, float32 multiply then add), as here.
 * fused = 0: the float ops ORT keeps when it does not fuse (DequantizeLinear, Add, QuantizeLinear):
 *     fa  = (float)(a - zp_a) * s_a,  fb = (float)(b - zp_b) * s_b      (MLAS dequantize)
 *     out = saturate(round_half_to_even((fa + fb) / s_y) + zp_y)       (MLAS QuantizeLinear)
 * uint8: ORT converts int8 Q -> DQ pairs to uint8 before fusing (QDQS8ToU8Transformer), so a
 *   fused Add often runs on u = q + 128 with zero points + 128 (offset = 128; `fixed` then
 *   holds the uint8 zero points); the result saturates to [0, 255] and is stored minus 128.
 * Sub (ORT has no QLinearSub: always the float rule) is this float rule with scale_b = -s_b:
 *   fa + ((float)(b - zp_b) * -s_b) equals fa - fb exactly (negation is exact).
 * Both clamp to [act_min, act_max]. No integer overflow: all arithmetic after the int8 loads
 * is float32 on values below 2^16.
 * In place: out may be the same buffer as a or b when that operand has `size` elements
 *   (element i is read before it is written).
 */
#include "mcu_add_ort_s8.h"

void mcu_add_ort_s8(const mcu_add_ort_params *p, int32_t size_a, const int8_t *a,
                    int32_t size_b, const int8_t *b, int32_t size, int8_t *out)
{
    int32_t i;
    if (p->fused) {
        const int32_t off = p->offset;
        float fixed = p->fixed;
        if (size_a == 1) {
            fixed = fixed + (float)(a[0] + off) * p->ratio_a;
        } else if (size_b == 1) {
            fixed = fixed + (float)(b[0] + off) * p->ratio_b;
        }
        for (i = 0; i < size; ++i) {
            float r;
            if (size_a == 1) {
                r = fmaf((float)(b[i] + off), p->ratio_b, fixed);
            } else if (size_b == 1) {
                r = fmaf((float)(a[i] + off), p->ratio_a, fixed);
            } else {
                r = fmaf((float)(a[i] + off), p->ratio_a,
                         fmaf((float)(b[i] + off), p->ratio_b, fixed));
            }
            out[i] = (int8_t)(mcu_ort_saturate(r, 0, p->act_min + off, p->act_max + off) - off);
        }
        return;
    }
    for (i = 0; i < size; ++i) {
        const int32_t qa = a[size_a == 1 ? 0 : i];
        const int32_t qb = b[size_b == 1 ? 0 : i];
        const float fa = (float)(qa - p->zp_a) * p->scale_a;
        const float fb = (float)(qb - p->zp_b) * p->scale_b;
        out[i] = (int8_t)mcu_ort_saturate((fa + fb) / p->scale_y, p->zp_y, p->act_min,
                                          p->act_max);
    }
}

static void add_row(const void *params, const void *a, int32_t a_step, const void *b,
                    int32_t b_step, void *out, int32_t n)
{
    const int32_t size_a = (a_step == 0 && b_step != 0) ? 1 : n;
    const int32_t size_b = (b_step == 0 && a_step != 0) ? 1 : n;
    mcu_add_ort_s8((const mcu_add_ort_params *)params, size_a, (const int8_t *)a, size_b,
                   (const int8_t *)b, n, (int8_t *)out);
}

void mcu_add_ort_bcast_s8(const mcu_add_ort_params *p, const mcu_bcast *bc, const int8_t *a,
                          const int8_t *b, int8_t *out)
{
    mcu_binary_bcast(p, bc, sizeof(int8_t), a, b, out, add_row);
}
