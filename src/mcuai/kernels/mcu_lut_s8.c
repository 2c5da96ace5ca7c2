/*
 * mcu_lut_s8 - int8 element-wise activation as a 256-entry table lookup:
 *   out[i] = table[in[i] + 128].
 *
 * Math: real = s * (q - zp). The table holds, for every int8 input value q, the int8 output
 * of the activation under the tensors' quantization, computed at generation time by
 * mcuai.quant.lut, which reproduces the TFLite reference rule of each op bit for bit:
 *   LOGISTIC      LiteRT SigmoidPrepare<kReference>: float LUT (LUTPopulate, expf), s_out = 1/256
 *   TANH          LiteRT TanhPrepare<kReference>: float LUT (LUTPopulate, tanhf)
 *   HARD_SWISH    HardSwishPrepare + reference_ops::HardSwish (16-bit fixed point)
 *   RELU, RELU6,  ReluPrepare + QuantizedReluX: MultiplyByQuantizedMultiplier(q - zp_in,
 *   RELU_N1_TO_1  s_in / s_out) + zp_out, clamped to the real bounds in the output quantization
 *   LEAKY_RELU    LeakyReluPrepare + reference_ops::QuantizeLeakyRelu (two multipliers)
 * Every possible input has its entry, so the lookup is exact for any input.
 * Overflow: none (no arithmetic besides the index in [0, 255]).
 * In place: in == out is allowed (each element is read before it is written).
 */
#include "mcu_lut_s8.h"

void mcu_lut_s8(const int8_t *table, int32_t size, const int8_t *in, int8_t *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        out[i] = table[(int32_t)in[i] + 128];
    }
}
