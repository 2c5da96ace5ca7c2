/*
 * mcu_resize_nearest - element-type agnostic nearest-neighbour resize of NHWC data
 * (RESIZE_NEAREST_NEIGHBOR).
 *
 * Math: out[b, y, x, :] = in[b, y_index[y], x_index[x], :] (stored values copied unchanged).
 * Rule: TFLite reference_ops::ResizeNearestNeighbor; the index tables follow its
 *   GetNearestNeighbor in float32: scale = in/out (or (in-1)/(out-1) with align_corners and
 *   out > 1), v = ((float)i + (half_pixel_centers ? 0.5f : 0)) * scale, index =
 *   min(align_corners ? round_half_away(v) : floor(v), in-1), then max(., 0) with
 *   half_pixel_centers; they are computed in Python (numpy float32) by the lowering.
 * Overflow: none (byte copies, sizes up to 1 GiB).
 */
#include "mcu_resize_nearest.h"

#include <string.h>

void mcu_resize_nearest(const mcu_resize_nearest_params *p,
                        const mcu_dims *in_dims, const void *in,
                        const mcu_dims *out_dims, void *out)
{
    const size_t px = (size_t)in_dims->c * (size_t)p->elem_size;
    const size_t in_row = (size_t)in_dims->w * px;
    const size_t in_img = (size_t)in_dims->h * in_row;
    const size_t out_row = (size_t)out_dims->w * px;
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    int32_t b, y, x;

    for (b = 0; b < out_dims->n; ++b) {
        const uint8_t *img = src + (size_t)b * in_img;
        for (y = 0; y < out_dims->h; ++y) {
            if (y > 0 && p->y_index[y] == p->y_index[y - 1]) {
                /* same source row as the previous output row: copy that row */
                memcpy(dst, dst - out_row, out_row);
            } else {
                const uint8_t *row = img + (size_t)p->y_index[y] * in_row;
                for (x = 0; x < out_dims->w; ++x) {
                    memcpy(dst + (size_t)x * px, row + (size_t)p->x_index[x] * px, px);
                }
            }
            dst += out_row;
        }
    }
}
