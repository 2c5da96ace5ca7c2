#ifndef MCU_RESIZE_BILINEAR_S8_H
#define MCU_RESIZE_BILINEAR_S8_H
#include "mcu_nn.h"

#ifndef MCU_RESIZE_BILINEAR_PARAMS_DEFINED
#define MCU_RESIZE_BILINEAR_PARAMS_DEFINED
/* Integer bilinear tables (10 fractional bits), computed by the code generator: output row y
   reads input rows y0[y] and y1[y] with weights 1024 - wy[y] and wy[y]; likewise columns. */
typedef struct {
    const int32_t *y0, *y1, *wy;   /* [out_h] */
    const int32_t *x0, *x1, *wx;   /* [out_w] */
} mcu_resize_bilinear_params;
#endif

void mcu_resize_bilinear_s8(const mcu_resize_bilinear_params *p,
                            const mcu_dims *in_dims, const int8_t *in,
                            const mcu_dims *out_dims, int8_t *out);
#endif
