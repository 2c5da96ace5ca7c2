/*
 * mcu_binary_bcast.h - broadcasting walk and parameter structs shared by the element-wise
 * binary kernels (ADD, SUB, MUL, MAXIMUM, MINIMUM).
 *
 * The code generator prepares the walk: the output shape (numpy/TFLite broadcasting) is
 * collapsed to 4 dimensions d0..d3 (size-1 dimensions dropped, adjacent dimensions merged
 * while both inputs stay contiguous or stay broadcast over them, leading dimensions padded
 * with 1), and each input gets its element stride along those dimensions (0 where the input is
 * broadcast). A same-shape op becomes one row of d3 elements; [N,H,W,C] x [N,1,1,C] becomes
 * d = {1, N, H*W, C} with strides a = {0, H*W*C, C, 1}, b = {0, C, 0, 1}.
 */
#ifndef MCU_BINARY_BCAST_H
#define MCU_BINARY_BCAST_H
#include "mcu_nn.h"

/* Output shape (collapsed to 4-D) and the element strides of both inputs along it. */
typedef struct {
    int32_t d0, d1, d2, d3;
    int32_t a0, a1, a2, a3;
    int32_t b0, b1, b2, b3;
} mcu_bcast;

/* ADD/SUB (TFLite ArithmeticParams of the general quantized path). Shifts follow TFLite's
 * sign convention (negative: right shift); the lowering guarantees every shift is <= 0. */
typedef struct {
    int32_t input1_offset;  /* -zp1 */
    int32_t input2_offset;  /* -zp2 */
    int32_t output_offset;  /* +zp_out */
    int32_t left_shift;     /* 20 for int8, 15 for int16 */
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} mcu_add_params;

/* MUL: one requantization of the product of the offset inputs. */
typedef struct {
    int32_t input1_offset;  /* -zp1 */
    int32_t input2_offset;  /* -zp2 */
    int32_t output_offset;  /* +zp_out */
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} mcu_mul_params;

/* One output row: out[i] = f(a[i * a_step], b[i * b_step]) for i < n. */
typedef void (*mcu_bcast_row_fn)(const void *params, const void *a, int32_t a_step,
                                 const void *b, int32_t b_step, void *out, int32_t n);

/* Calls row() for each of the d0*d1*d2 output rows of d3 elements; elem_size is the size in
 * bytes of one element (inputs and output share the element type). */
void mcu_binary_bcast(const void *params, const mcu_bcast *bc, size_t elem_size,
                      const void *a, const void *b, void *out, mcu_bcast_row_fn row);

/* TFLite ADD/SUB input rescaling: MultiplyByQuantizedMultiplierSmallerThanOneExp(
 * (q + offset) << left_shift, multiplier, shift) with shift <= 0. */
MCU_INLINE int32_t mcu_add_rescale(int32_t q, int32_t offset, int32_t left_shift,
                                   int32_t multiplier, int32_t shift)
{
    return mcu_rdbpot(mcu_srdhm((q + offset) * ((int32_t)1 << left_shift), multiplier), -shift);
}

#endif /* MCU_BINARY_BCAST_H */
