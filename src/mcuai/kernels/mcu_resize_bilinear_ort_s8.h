#ifndef MCU_RESIZE_BILINEAR_ORT_S8_H
#define MCU_RESIZE_BILINEAR_ORT_S8_H
#include "mcu_requant_ort.h"

/* DequantizeLinear -> float Resize(linear) -> QuantizeLinear of NHWC int8 data. Tables per
 * output row (y) and column (x): the two source indices and ORT's weights d1 = |v - i1|,
 * d2 = |v - i2| (float32, computed by the code generator). */
typedef struct {
    const int32_t *y1, *y2;
    const float *dy1, *dy2;
    const int32_t *x1, *x2;
    const float *dx1, *dx2;
    float scale_x, scale_y;
    int32_t zp_x, zp_y;
} mcu_resize_bilinear_ort_params;

void mcu_resize_bilinear_ort_s8(const mcu_resize_bilinear_ort_params *p,
                                const mcu_dims *in_dims, const int8_t *in,
                                const mcu_dims *out_dims, int8_t *out);
#endif
