#ifndef MCU_TCONV2D_ORT_FLOAT_S8_H
#define MCU_TCONV2D_ORT_FLOAT_S8_H
#include "mcu_conv2d_ort_float_s8.h"

/* DequantizeLinear -> float ConvTranspose -> QuantizeLinear (ONNX Runtime: SGEMM + Col2im).
 * NHWC input, filter [Cout, Kh, Kw, Cin], NHWC output; p->stride and p->padding (top, left). */
void mcu_tconv2d_ort_float_s8(const mcu_conv_params *p, const mcu_conv_ort_float_quant *q,
                              const mcu_dims *in_dims, const int8_t *in,
                              const mcu_dims *f_dims, const int8_t *filter,
                              const mcu_dims *out_dims, int8_t *out);
#endif
