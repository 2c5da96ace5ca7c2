#ifndef MCU_AVGPOOL2D_ORT_FIXED_S8_H
#define MCU_AVGPOOL2D_ORT_FIXED_S8_H
#include "mcu_nn.h"

/* Integer-only average pooling between different input and output quantizations. */
typedef struct {
    int32_t input_offset;       /* -zp_x */
    int32_t output_offset;      /* +zp_y */
    mcu_hw stride;
    mcu_hw padding;             /* top, left */
    int32_t act_min, act_max;
    const int32_t *multiplier;  /* [count - 1]: s_x / (s_y * count), Q31 */
    const int32_t *shift;       /* [count - 1] (>0: left) */
} mcu_avgpool_ort_fixed_params;

void mcu_avgpool2d_ort_fixed_s8(const mcu_avgpool_ort_fixed_params *p, const mcu_dims *in_dims,
                              const int8_t *in, const mcu_dims *window,
                              const mcu_dims *out_dims, int8_t *out);
#endif
