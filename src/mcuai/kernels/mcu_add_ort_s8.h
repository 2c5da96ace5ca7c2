#ifndef MCU_ADD_ORT_S8_H
#define MCU_ADD_ORT_S8_H
#include "mcu_binary_bcast.h"
#include "mcu_requant_ort.h"

/* Quantized Add with ONNX Runtime's arithmetic. */
typedef struct {
    int32_t fused;  /* 1: QLinearAdd (MLAS, FMA), 0: DequantizeLinear, float Add, QuantizeLinear */
    int32_t offset; /* fused: 128 when ORT runs the QLinearAdd on uint8 (values + 128), else 0 */
    float ratio_a;      /* s_a / s_y (fused) */
    float ratio_b;      /* s_b / s_y (fused) */
    float fixed;        /* (float)zp_y - (ratio_a * zp_a + ratio_b * zp_b) (fused) */
    float scale_a, scale_b, scale_y; /* float path */
    int32_t zp_a, zp_b, zp_y;        /* float path */
    int32_t act_min, act_max;
} mcu_add_ort_params;

/* out may share storage with a or b when that operand has `size` elements. */
void mcu_add_ort_s8(const mcu_add_ort_params *p, int32_t size_a, const int8_t *a,
                    int32_t size_b, const int8_t *b, int32_t size, int8_t *out);
/* General broadcast (ORT's broadcast loop): for each output row of the walk `bc`, the
 * operand whose row stride is 0 is a single element (the scalar rule above), else a span. */
void mcu_add_ort_bcast_s8(const mcu_add_ort_params *p, const mcu_bcast *bc, const int8_t *a,
                          const int8_t *b, int8_t *out);
#endif
