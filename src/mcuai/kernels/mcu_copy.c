/*
 * mcu_copy - element-type agnostic strided copy (TRANSPOSE, STRIDED_SLICE, SPLIT/SPLIT_V,
 * CONCATENATION, RESHAPE copies).
 *
 * Math: for every index tuple (i_0, ..., i_{rank-1}) with 0 <= i_d < count[d], the `run`
 *   bytes at out + out_offset + sum_d i_d*out_stride[d] are the `run` bytes at
 *   in + in_offset + sum_d i_d*in_stride[d]. Quantized values are copied unchanged, as TFLite's reference kernels do
 * (reference_ops::Transpose, StridedSlice, Split, Concatenation copy stored integers whatever
 * the quantization parameters; the lowering rejects what LiteRT rejects).
 * Overflow: offsets are int32 byte counts; the lowering rejects tensors above 1 GiB, so every
 * partial offset (at most one stride*count beyond a valid element) fits int32.
 */
#include "mcu_copy.h"

#include <string.h>

/* n runs of `run` bytes, `ds`/`ss` bytes apart; fixed-size memcpy calls compile to plain
   loads and stores and are alignment-safe. */
static void mcu_copy_runs(uint8_t *dst, const uint8_t *src, int32_t n, int32_t ds,
                          int32_t ss, int32_t run)
{
    int32_t i;
    switch (run) {
    case 1:
        for (i = 0; i < n; ++i) {
            dst[(ptrdiff_t)i * ds] = src[(ptrdiff_t)i * ss];
        }
        break;
    case 2:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (ptrdiff_t)i * ds, src + (ptrdiff_t)i * ss, 2);
        }
        break;
    case 4:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (ptrdiff_t)i * ds, src + (ptrdiff_t)i * ss, 4);
        }
        break;
    case 8:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (ptrdiff_t)i * ds, src + (ptrdiff_t)i * ss, 8);
        }
        break;
    default:
        for (i = 0; i < n; ++i) {
            memcpy(dst + (ptrdiff_t)i * ds, src + (ptrdiff_t)i * ss, (size_t)run);
        }
        break;
    }
}

void mcu_copy(const mcu_copy_params *p, const void *in, void *out)
{
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t last = p->rank - 1;
    int32_t idx[MCU_COPY_MAX_RANK];
    int32_t io = p->in_offset, oo = p->out_offset;
    int32_t d;

    for (d = 0; d < p->rank; ++d) {
        if (p->count[d] <= 0) {
            return;
        }
        idx[d] = 0;
    }
    for (;;) {
        mcu_copy_runs(dst + oo, src + io, p->count[last], p->out_stride[last],
                      p->in_stride[last], p->run);
        /* odometer over the outer loops */
        for (d = last - 1; d >= 0; --d) {
            io += p->in_stride[d];
            oo += p->out_stride[d];
            if (++idx[d] < p->count[d]) {
                break;
            }
            io -= p->in_stride[d] * p->count[d];
            oo -= p->out_stride[d] * p->count[d];
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}
