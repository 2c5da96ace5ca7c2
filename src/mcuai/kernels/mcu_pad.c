/*
 * mcu_pad - element-type agnostic constant padding (PAD, PADV2).
 *
 * Math: out[j] = in[j - before] where before[d] <= j_d < before[d] + in_dims[d] on every
 * dim d, else *value. Rule: TFLite reference_ops::Pad / PadImageStyle: PAD fills quantized
 * tensors with the output zero point (0.0f for float), PADV2 with its constant value as stored
 * (LiteRT checks that its quantization equals the output's); the input's stored values are
 * copied unchanged (no requantization, whatever the quantization parameters).
 * Overflow: none (byte copies; sizes up to 1 GiB, checked by the lowering).
 */
#include "mcu_pad.h"

#include <string.h>

static void mcu_pad_fill(uint8_t *dst, int32_t n, const void *value, int32_t size)
{
    int32_t i;
    switch (size) {
    case 1:
        memset(dst, *(const uint8_t *)value, (size_t)n);
        break;
    case 2:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (size_t)i * 2u, value, 2);
        }
        break;
    case 4:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (size_t)i * 4u, value, 4);
        }
        break;
    default:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (size_t)i * (size_t)size, value, (size_t)size);
        }
        break;
    }
}

void mcu_pad(const mcu_pad_params *p, const void *in, void *out)
{
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t last = p->rank - 1;
    const int32_t es = p->elem_size;
    const int32_t row_out = p->out_dims[last];
    const int32_t row_in = p->in_dims[last];
    const int32_t b = p->before[last];
    const int32_t a = row_out - row_in - b;
    int32_t idx[MCU_PAD_MAX_RANK];
    int32_t d;

    for (d = 0; d < p->rank; ++d) {
        if (p->out_dims[d] <= 0) {
            return;
        }
        idx[d] = 0;
    }
    for (;;) {
        /* is this output row inside the input box on every outer dim? */
        int inside = 1;
        for (d = 0; d < last; ++d) {
            if (idx[d] < p->before[d] || idx[d] >= p->before[d] + p->in_dims[d]) {
                inside = 0;
                break;
            }
        }
        if (inside) {
            /* input rows are met in row-major order: consume them one after the other */
            mcu_pad_fill(dst, b, p->value, es);
            memcpy(dst + (size_t)b * (size_t)es, src, (size_t)row_in * (size_t)es);
            mcu_pad_fill(dst + (size_t)(b + row_in) * (size_t)es, a, p->value, es);
            src += (size_t)row_in * (size_t)es;
        } else {
            mcu_pad_fill(dst, row_out, p->value, es);
        }
        dst += (size_t)row_out * (size_t)es;
        for (d = last - 1; d >= 0; --d) {
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}
