#ifndef MCU_RESIZE_NEAREST_H
#define MCU_RESIZE_NEAREST_H
#include "mcu_nn.h"

/* Source row/column of every output row/column, computed by the code generator. */
typedef struct {
    int32_t elem_size;        /* bytes per element */
    const int32_t *y_index;   /* [out_h] input row of each output row */
    const int32_t *x_index;   /* [out_w] input column of each output column */
} mcu_resize_nearest_params;

void mcu_resize_nearest(const mcu_resize_nearest_params *p,
                        const mcu_dims *in_dims, const void *in,
                        const mcu_dims *out_dims, void *out);
#endif
