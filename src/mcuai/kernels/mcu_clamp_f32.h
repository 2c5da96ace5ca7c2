/*
 * mcu_clamp_f32.h - the float32 kernels' shared types, and the clamp kernel (RELU, RELU6,
 * RELU_N1_TO_1 and any [min, max] range on float tensors).
 *
 * Every float kernel includes this header (its Call lists the "mcu_clamp_f32" unit too).
 *
 * Float determinism: the kernels follow the summation order of the TFLite reference kernels and
 * write each product in its own statement, so that no compiler contracts a * b + c into a fused
 * multiply-add (clang's default -ffp-contract=on only fuses within one expression; gcc fuses
 * across statements only in GNU modes, never with -std=c99). Built with -std=c99 the results are
 * the same on the host and on Cortex-M FPUs (single precision, round to nearest, no flush to
 * zero), except where a <math.h> function (expf, tanhf) of the C library differs.
 */
#ifndef MCU_CLAMP_F32_H
#define MCU_CLAMP_F32_H
#include "mcu_nn.h"

/* Fused activation on a float output: y = min(max(x, min), max). An unbounded side is
 * +-FLT_MAX (the code generator writes infinities that way). */
typedef struct {
    float min, max;
} mcu_act_f32;

/* Convolution-like parameters of the float kernels (conv, depthwise conv, transpose conv). */
typedef struct {
    mcu_hw stride;
    mcu_hw padding;  /* top, left */
    mcu_hw dilation;
    int32_t ch_mult; /* depthwise channel multiplier (1 otherwise) */
    mcu_act_f32 act;
} mcu_conv_params_f32;

/* 2-D pooling parameters of the float kernels. */
typedef struct {
    mcu_hw stride;
    mcu_hw padding; /* top, left */
    mcu_hw window;
    mcu_act_f32 act;
} mcu_pool_params_f32;

/* TFLite ActivationFunctionWithMinMax: min(max(x, lo), hi) with std::max(a, b) = a < b ? b : a
 * and std::min(a, b) = b < a ? b : a (a NaN passes through). */
MCU_INLINE float mcu_clampf(float x, const mcu_act_f32 *act)
{
    const float lo = x < act->min ? act->min : x;
    return act->max < lo ? act->max : lo;
}

/* out[i] = clamp(in[i], act->min, act->max) for size elements; in == out is allowed. */
void mcu_clamp_f32(const mcu_act_f32 *act, int32_t size, const float *in, float *out);

#endif /* MCU_CLAMP_F32_H */
