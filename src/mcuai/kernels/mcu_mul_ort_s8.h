#ifndef MCU_MUL_ORT_S8_H
#define MCU_MUL_ORT_S8_H
#include "mcu_requant_ort.h"

/* Quantized Mul with ONNX Runtime's arithmetic. */
typedef struct {
    int32_t fused;   /* 1: QLinearMul (MLAS), 0: DequantizeLinear, float Mul, QuantizeLinear */
    int32_t offset;  /* fused: 128 when ORT runs the QLinearMul on uint8, else 0 */
    float ratio;     /* f32(s_a * s_b) / s_y (fused) */
    float scale_a, scale_b, scale_y; /* float path */
    int32_t zp_a, zp_b, zp_y;
    int32_t act_min, act_max;
} mcu_mul_ort_params;

/* out may share storage with a or b when that operand has `size` elements. */
void mcu_mul_ort_s8(const mcu_mul_ort_params *p, int32_t size_a, const int8_t *a,
                    int32_t size_b, const int8_t *b, int32_t size, int8_t *out);
#endif
