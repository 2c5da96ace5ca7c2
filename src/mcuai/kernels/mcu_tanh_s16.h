#ifndef MCU_TANH_S16_H
#define MCU_TANH_S16_H
#include "mcu_nn.h"
/* int16 TANH: input rescaled by (x * input_multiplier + round) >> input_shift (the generator
 * resolves TFLite's power-of-two case to multiplier 3 << shift, shift 0), then the
 * interpolated sigmoid table (tanh(x) = 2 sigmoid(2x) - 1); output scale 2^-15, zero points 0.
 * in == out is allowed. */
void mcu_tanh_s16(int32_t input_multiplier, int32_t input_shift, int32_t size,
                  const int16_t *in, int16_t *out);
#endif
