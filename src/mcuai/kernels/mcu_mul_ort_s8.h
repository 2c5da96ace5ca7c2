#ifndef MCU_MUL_ORT_S8_H
#define MCU_MUL_ORT_S8_H
#include "mcu_binary_bcast.h"
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
/* General broadcast (ORT's broadcast loop): for each output row of the walk `bc`, the
 * operand whose row stride is 0 is a single element (the scalar rule above), else a span. */
void mcu_mul_ort_bcast_s8(const mcu_mul_ort_params *p, const mcu_bcast *bc, const int8_t *a,
                          const int8_t *b, int8_t *out);
#endif
