#ifndef MCU_PAD_H
#define MCU_PAD_H
#include "mcu_nn.h"

#define MCU_PAD_MAX_RANK 6

/* Constant padding of a row-major tensor of `rank` dims (merged by the code generator). */
typedef struct {
    int32_t rank;             /* 1..MCU_PAD_MAX_RANK */
    int32_t elem_size;        /* bytes per element */
    const void *value;        /* one element: the pad value, in the tensor's type */
    const int32_t *in_dims;   /* [rank] */
    const int32_t *out_dims;  /* [rank] */
    const int32_t *before;    /* [rank] elements added before the input on each dim */
} mcu_pad_params;

void mcu_pad(const mcu_pad_params *p, const void *in, void *out);
#endif
