#ifndef MCU_QUANTIZE_S8_U8_H
#define MCU_QUANTIZE_S8_U8_H
#include "mcu_nn.h"
/* q->multiplier[0], q->shift[0]: the per-tensor requantization s_in / s_out. */
void mcu_quantize_s8_u8(const mcu_quant_pc *q, int32_t input_offset, int32_t output_offset,
                        int32_t size, const int8_t *in, uint8_t *out);
#endif
