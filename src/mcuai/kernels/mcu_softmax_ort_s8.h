#ifndef MCU_SOFTMAX_ORT_S8_H
#define MCU_SOFTMAX_ORT_S8_H
#include "mcu_requant_ort.h"

/* QLinearSoftmax parameters (ONNX Runtime rule). */
typedef struct {
    float y_scale; /* floor(1.0f / s_y), as ORT computes it */
    int32_t zp;    /* zp_y (int8 storage) */
} mcu_softmax_ort_params;

/* in == out is allowed. */
void mcu_softmax_ort_s8(const mcu_softmax_ort_params *p, const float *table, int32_t rows,
                        int32_t depth, const int8_t *in, int8_t *out);
#endif
