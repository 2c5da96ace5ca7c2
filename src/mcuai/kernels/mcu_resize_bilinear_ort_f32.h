#ifndef MCU_RESIZE_BILINEAR_ORT_F32_H
#define MCU_RESIZE_BILINEAR_ORT_F32_H
#include "mcu_resize_bilinear_ort_s8.h"

/* Float Resize(linear) of NHWC data with ONNX Runtime's arithmetic (the tables of
 * mcu_resize_bilinear_ort_s8; the scale and zero point fields are not used). */
void mcu_resize_bilinear_ort_f32(const mcu_resize_bilinear_ort_params *p,
                                 const mcu_dims *in_dims, const float *in,
                                 const mcu_dims *out_dims, float *out);
#endif
