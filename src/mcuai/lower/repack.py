"""Layouts of the Cortex-M DSP paths of the int8 matrix kernels (``kernels/mcu_dsp_mm.h``).

The int8 convolution (generic and 1x1) and fully connected kernels keep the model's weight
layout (one row of ``K`` int8 values per output channel): on cores with the DSP extension the
inner loop loads 4 weights in one word and splits them with ``SXTB16`` into (w0, w2) and
(w1, w3) halves; the *activations* are re-ordered to match, once per pixel, into a scratch
"column" buffer of 32-bit words holding (v0, v2) and (v1, v3) int16 pairs (``K % 4`` tail
values as one int32 word each). Re-ordering the activations instead of the weights keeps one
copy of the weights in flash, the portable C unchanged, and the generated C identical for every
target (the scratch is reserved on the host too; only the DSP path touches it).
"""

from __future__ import annotations


def cols_bytes(k: int, ncols: int) -> int:
    """Bytes of ``ncols`` interleaved columns of ``k`` values (``MCU_MM_COLS_BYTES``)."""
    if k <= 0 or ncols <= 0:
        raise ValueError(f"column of {k} values x {ncols}")
    return ncols * (8 * (k // 4) + 4 * (k % 4))
