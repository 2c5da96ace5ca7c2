"""Weight layouts of the depthwise kernels, computed at generation time.

``mcu_dwconv2d_3x3_s8`` reads its filter in *channel-group order*: the output channels are cut
into groups of four (what one 32-bit word holds for the SXTB16/SMLAxx inner loop of the
Cortex-M DSP path); group ``g`` stores its 9 taps one after the other, four bytes per tap
(``packed[36*g + 4*k + j] = w[k, 4*g + j]``, tap ``k = 3*ky + kx``), so the inner loop reads
all weights of a group from one pointer with constant offsets. The ``T = C mod 4`` remaining
channels follow tap by tap (``packed[36*G + T*k + j] = w[k, 4*G + j]``). Same size as the
model's ``[1, 3, 3, C]`` filter; the portable C consumes the same layout, so the generated code
stays target-independent with one copy of the weights.
"""

from __future__ import annotations

import numpy as np


def pack_dw3x3(w: np.ndarray) -> np.ndarray:
    """``[1, 3, 3, C]`` (or ``[3, 3, C]``) int8 filter -> flat channel-group order."""
    taps = np.asarray(w).reshape(9, -1)
    c = taps.shape[1]
    g = c // 4
    head = taps[:, : 4 * g].reshape(9, g, 4).transpose(1, 0, 2).reshape(-1)
    tail = taps[:, 4 * g :].reshape(-1)
    return np.ascontiguousarray(np.concatenate([head, tail]))


def unpack_dw3x3(packed: np.ndarray, c: int) -> np.ndarray:
    """Inverse of :func:`pack_dw3x3`: the ``[3, 3, C]`` filter."""
    g = c // 4
    head = np.asarray(packed[: 36 * g]).reshape(g, 9, 4).transpose(1, 0, 2).reshape(9, 4 * g)
    tail = np.asarray(packed[36 * g :]).reshape(9, c - 4 * g)
    return np.concatenate([head, tail], axis=1).reshape(3, 3, c)
