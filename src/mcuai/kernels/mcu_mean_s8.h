#ifndef MCU_MEAN_S8_H
#define MCU_MEAN_S8_H
#include "mcu_nn.h"

/* The reduction walk, prepared at generation time: the input's dimensions are split into kept
 * and reduced groups (size-1 dimensions dropped, adjacent dimensions of the same kind merged),
 * at most three of each, padded with size 1. k0..k2 are the kept sizes in input order (so the
 * output is written sequentially), ks0..ks2 their element strides in the input; r0..r2 and
 * rs0..rs2 the same for the reduced groups. */
typedef struct {
    int32_t k0, k1, k2;
    int32_t ks0, ks1, ks2;
    int32_t r0, r1, r2;
    int32_t rs0, rs1, rs2;
} mcu_reduce_walk;

/* Requantization of the sum (TFLite reference_ops::QuantizedMeanOrSum): sum_offset is
 * -zp_in * N wrapped to int32 (N = number of reduced elements); multiplier/shift already hold
 * the 1/N factor; output_offset = +zp_out. */
typedef struct {
    int32_t sum_offset;
    int32_t multiplier, shift;
    int32_t output_offset;
} mcu_mean_quant;

void mcu_mean_s8(const mcu_mean_quant *q, const mcu_reduce_walk *w, const int8_t *in,
                 int8_t *out);
#endif
