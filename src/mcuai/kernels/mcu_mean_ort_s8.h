#ifndef MCU_MEAN_ORT_S8_H
#define MCU_MEAN_ORT_S8_H
#include "mcu_requant_ort.h"

/* DequantizeLinear -> float ReduceMean over H, W (ONNX axes 2, 3 of NCHW) -> QuantizeLinear. */
typedef struct {
    float scale_x, scale_y;
    int32_t zp_x, zp_y;
    int32_t act_min, act_max;
} mcu_mean_ort_params;

/* channels_last = 1: in is NHWC [n, hw, c] (hw = H*W positions); 0: NCHW [n, c, hw].
 * out: [n, c] (the same in both layouts). */
void mcu_mean_ort_s8(const mcu_mean_ort_params *p, int32_t channels_last, int32_t n,
                     int32_t hw, int32_t c, const int8_t *in, int8_t *out);
#endif
