#ifndef MCU_RESIZE_BILINEAR_F32_H
#define MCU_RESIZE_BILINEAR_F32_H
#include "mcu_nn.h"

/* Float bilinear tables, computed by the code generator in float32: output row y reads input
   rows y0[y] and y1[y] with weights ya[y] = 1 - (in_y - y0) and yb[y] = in_y - y0. */
typedef struct {
    const int32_t *y0, *y1;   /* [out_h] */
    const float *ya, *yb;     /* [out_h] */
    const int32_t *x0, *x1;   /* [out_w] */
    const float *xa, *xb;     /* [out_w] */
} mcu_resize_bilinear_f32_params;

void mcu_resize_bilinear_f32(const mcu_resize_bilinear_f32_params *p,
                             const mcu_dims *in_dims, const float *in,
                             const mcu_dims *out_dims, float *out);
#endif
