/*
 * mcu_clamp_f32 - float32 RELU / RELU6 / RELU_N1_TO_1 / clamp: y = min(max(x, lo), hi).
 *
 * Rule (TFLite reference_ops::Relu, Relu1, Relu6 on float): exact, no arithmetic (the result is
 * one of x, lo, hi), hence bit-exact with LiteRT. Element-wise: in == out is allowed.
 */
#include "mcu_clamp_f32.h"

void mcu_clamp_f32(const mcu_act_f32 *act, int32_t size, const float *in, float *out)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        out[i] = mcu_clampf(in[i], act);
    }
}
