#ifndef MCU_AVGPOOL2D_ORT_S8_H
#define MCU_AVGPOOL2D_ORT_S8_H
#include "mcu_requant_ort.h"

/* QLinearAveragePool / QLinearGlobalAveragePool parameters (ONNX Runtime rule). */
typedef struct {
    int32_t global;     /* 1: window = whole image, no padding (ORT's integer global path) */
    int32_t unfused;    /* window path: DQ -> float AveragePool -> Q: 1 MLAS vector kernel,
                           2 NCHWc kernel (channels % 16 == 0); 0 = QLinearAveragePool */
    int32_t input_zp;   /* zp_x */
    int32_t output_zp;  /* zp_y */
    int32_t offset;     /* window path: 128 when ORT runs the pool on uint8 (zp_y + 128), else 0 */
    float input_scale;  /* s_x (window path) */
    float output_scale; /* s_y (window path) */
    float scale;        /* s_x / (s_y * (float)(H*W)) in float32 (global path) */
    mcu_hw stride;
    mcu_hw padding;     /* top, left */
    int32_t act_min, act_max;
} mcu_avgpool_ort_params;

void mcu_avgpool2d_ort_s8(const mcu_avgpool_ort_params *p, const mcu_dims *in_dims,
                          const int8_t *in, const mcu_dims *window, const mcu_dims *out_dims,
                          int8_t *out);
#endif
