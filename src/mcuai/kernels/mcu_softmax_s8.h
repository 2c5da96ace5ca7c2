#ifndef MCU_SOFTMAX_S8_H
#define MCU_SOFTMAX_S8_H
#include "mcu_nn.h"
/* int8 SOFTMAX over the last axis: rows rows of depth elements. exp_table[k] (Q0.31) is the
 * reference's exp for x - max = -k, 0 below diff_min. Output scale 1/256, zero point -128.
 * in == out is allowed. */
void mcu_softmax_s8(const int32_t *exp_table, int32_t rows, int32_t depth, const int8_t *in,
                    int8_t *out);
#endif
