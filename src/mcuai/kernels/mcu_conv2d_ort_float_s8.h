#ifndef MCU_CONV2D_ORT_FLOAT_S8_H
#define MCU_CONV2D_ORT_FLOAT_S8_H
#include "mcu_requant_ort.h"

/* Float convolution between DequantizeLinear and QuantizeLinear (ONNX Runtime rule). */
typedef struct {
    float input_scale;         /* s_x */
    float output_scale;        /* s_y */
    const float *weight_scale; /* s_w[o * weight_scale_step] */
    int32_t weight_scale_step; /* 0: per tensor, 1: per channel */
    const int32_t *weight_offset; /* -zp_w[o * weight_scale_step] */
    const float *bias;         /* DequantizeLinear(bias) in float32, or NULL */
    int32_t stride_k;          /* MLAS SGEMM reduction block (mcuai.lower.ort.sgemm_stride_k) */
} mcu_conv_ort_float_quant;

void mcu_conv2d_ort_float_s8(const mcu_conv_params *p, const mcu_conv_ort_float_quant *q,
                             const mcu_dims *in_dims, const int8_t *in,
                             const mcu_dims *f_dims, const int8_t *filter,
                             const mcu_dims *out_dims, int8_t *out);
#endif
