/*
 * mcu_copy_lut_s8 - strided int8 copy through a 256-entry table (the loop nest of mcu_copy,
 * elements of one byte): out[...] = table[in[...] + 128]. Used by uint8 CONCATENATION to
 * rescale inputs quantized differently from the output.
 *
 * Math: real = s * (q - zp). For TFLite uint8 models (stored by mcuai as int8 q - 128) the
 *   table is computed at generation time with the rule of TFLite
 *   reference_ops::ConcatenationWithScaling, in float32 on the stored uint8 value u:
 *     scale = s_in * (1.f / s_out), bias = -zp_in * scale,
 *     v = (int32)round_half_away(u * scale + bias) + zp_out, clamped to [0, 255],
 *   and stored shifted (v - 128). Every possible input has its entry, so the lookup is exact.
 * Parameters: as mcu_copy (byte strides and offsets; p->run counts bytes = elements).
 * Overflow: offsets are int32 byte counts (the lowering rejects tensors above 1 GiB).
 */
#include "mcu_copy_lut_s8.h"

void mcu_copy_lut_s8(const mcu_copy_params *p, const int8_t *table, const int8_t *in,
                     int8_t *out)
{
    const int32_t last = p->rank - 1;
    int32_t idx[MCU_COPY_MAX_RANK];
    int32_t io = p->in_offset, oo = p->out_offset;
    int32_t d, i, k;

    for (d = 0; d < p->rank; ++d) {
        if (p->count[d] <= 0) {
            return;
        }
        idx[d] = 0;
    }
    for (;;) {
        for (i = 0; i < p->count[last]; ++i) {
            const int8_t *src = in + io + (ptrdiff_t)i * p->in_stride[last];
            int8_t *dst = out + oo + (ptrdiff_t)i * p->out_stride[last];
            for (k = 0; k < p->run; ++k) {
                dst[k] = table[(int32_t)src[k] + 128];
            }
        }
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
