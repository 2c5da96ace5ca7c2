#ifndef MCU_MINIMUM_S16_H
#define MCU_MINIMUM_S16_H
#include "mcu_binary_bcast.h"
void mcu_minimum_s16(const mcu_bcast *bc, const int16_t *in1, const int16_t *in2,
                     int16_t *out);
#endif
