#ifndef MCU_COPY_H
#define MCU_COPY_H
#include "mcu_nn.h"

#define MCU_COPY_MAX_RANK 6

/* A strided byte copy: a loop nest of `rank` loops (outermost first); the innermost iteration
   copies `run` contiguous bytes. Strides and offsets are in bytes; input strides may be
   negative (reversed slices). */
typedef struct {
    int32_t rank;              /* 1..MCU_COPY_MAX_RANK */
    int32_t run;               /* bytes per innermost iteration (>= 1) */
    int32_t in_offset;         /* bytes from `in` to the first element read */
    int32_t out_offset;        /* bytes from `out` to the first element written */
    const int32_t *count;      /* [rank] iterations per loop */
    const int32_t *in_stride;  /* [rank] input bytes per iteration */
    const int32_t *out_stride; /* [rank] output bytes per iteration */
} mcu_copy_params;

void mcu_copy(const mcu_copy_params *p, const void *in, void *out);
#endif
