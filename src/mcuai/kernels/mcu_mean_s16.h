#ifndef MCU_MEAN_S16_H
#define MCU_MEAN_S16_H
#include "mcu_mean_s8.h" /* mcu_reduce_walk, mcu_mean_quant */
void mcu_mean_s16(const mcu_mean_quant *q, const mcu_reduce_walk *w, const int16_t *in,
                  int16_t *out);
#endif
