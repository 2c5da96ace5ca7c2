#ifndef MCU_ARGMAX_F32_H
#define MCU_ARGMAX_F32_H
#include "mcu_nn.h"

#ifndef MCU_ARGMAX_PARAMS_DEFINED
#define MCU_ARGMAX_PARAMS_DEFINED
/* The input seen as [outer, axis, inner]; the output as [outer, inner]. */
typedef struct {
    int32_t outer, axis, inner;
    int32_t out_size;   /* bytes per output index: 4 (int32) or 8 (int64) */
} mcu_argmax_params;
#endif

void mcu_argmax_f32(const mcu_argmax_params *p, const float *in, void *out);
#endif
