#ifndef MCU_SIGMOID_TABLE_U16_H
#define MCU_SIGMOID_TABLE_U16_H
#include "mcu_nn.h"
/* sigmoid(i / 24) in 0.16 fixed point, i = 0..255 (TFLite sigmoid_table_uint16). */
extern const uint16_t mcu_sigmoid_table_u16[256];
#endif
