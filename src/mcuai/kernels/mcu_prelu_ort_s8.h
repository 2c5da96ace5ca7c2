#ifndef MCU_PRELU_ORT_S8_H
#define MCU_PRELU_ORT_S8_H
#include "mcu_binary_bcast.h"
#include "mcu_requant_ort.h"

/* DequantizeLinear -> float PRelu -> QuantizeLinear (ONNX Runtime's float path). */
typedef struct {
    float scale_x, scale_y;
    int32_t zp_x, zp_y;
} mcu_prelu_ort_params;

/* out (contiguous, the walk's shape) = Q(prelu(DQ(x), alpha)); `bc` gives the element strides
 * of x (a0..a3) and of the float slopes alpha (b0..b3). */
void mcu_prelu_ort_s8(const mcu_prelu_ort_params *p, const mcu_bcast *bc, const int8_t *x,
                      const float *alpha, int8_t *out);
#endif
