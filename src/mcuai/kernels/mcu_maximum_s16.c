/*
 * mcu_maximum_s16 - int16 MAXIMUM with broadcasting.
 *
 * Rule (TFLite reference_ops::MaximumMinimumBroadcastSlow with MaximumOp): the raw integers are
 * compared, out = in1 > in2 ? in1 : in2. TFLite's converter gives both inputs and the output
 * the same quantization and the reference ignores it; so does this kernel. No arithmetic, no
 * overflow. In place: out may share storage with an input of the output's shape.
 */
#include "mcu_maximum_s16.h"

static void maximum_row_s16(const void *params, const void *a, int32_t a_step, const void *b,
                            int32_t b_step, void *out, int32_t n)
{
    const int16_t *x = (const int16_t *)a;
    const int16_t *y = (const int16_t *)b;
    int16_t *o = (int16_t *)out;
    int32_t i;

    (void)params;
    for (i = 0; i < n; ++i) {
        o[i] = *x > *y ? *x : *y;
        x += a_step;
        y += b_step;
    }
}

void mcu_maximum_s16(const mcu_bcast *bc, const int16_t *in1, const int16_t *in2,
                     int16_t *out)
{
    mcu_binary_bcast(NULL, bc, sizeof(int16_t), in1, in2, out, maximum_row_s16);
}
