/*
 * mcu_binary_bcast - the broadcasting walk of the element-wise binary kernels (see
 * mcu_binary_bcast.h). Row offsets are computed in size_t from non-negative int32 strides.
 */
#include "mcu_binary_bcast.h"

void mcu_binary_bcast(const void *params, const mcu_bcast *bc, size_t elem_size,
                      const void *a, const void *b, void *out, mcu_bcast_row_fn row)
{
    const char *pa = (const char *)a;
    const char *pb = (const char *)b;
    char *po = (char *)out;
    const size_t row_bytes = (size_t)bc->d3 * elem_size;
    int32_t i0, i1, i2;

    for (i0 = 0; i0 < bc->d0; ++i0) {
        for (i1 = 0; i1 < bc->d1; ++i1) {
            for (i2 = 0; i2 < bc->d2; ++i2) {
                const size_t oa = (size_t)i0 * (size_t)bc->a0 + (size_t)i1 * (size_t)bc->a1 +
                                  (size_t)i2 * (size_t)bc->a2;
                const size_t ob = (size_t)i0 * (size_t)bc->b0 + (size_t)i1 * (size_t)bc->b1 +
                                  (size_t)i2 * (size_t)bc->b2;
                row(params, pa + oa * elem_size, bc->a3, pb + ob * elem_size, bc->b3, po,
                    bc->d3);
                po += row_bytes;
            }
        }
    }
}
