"""Overlapping in place: a layer whose output starts ``D`` bytes below its dead input.

Element-wise in-place layers (:mod:`mcuai.passes.in_place`) give the output exactly the input's
storage. Layers whose output has another size cannot do that, but a kernel that walks its
output in a known order can still share one block with its input when the input sits a few
bytes higher. Such a layer (``node.alias`` set on a node this module calls *overlapping*, see
:func:`is_overlapping`) does not merge the two storage groups: the planner keeps them as two
buffers with their own lifetimes, tied by ``offset(input) = offset(output) + D`` (a *tie*,
:mod:`mcuai.memory.planner`). They overlap only at the layer's step, where the kernel contract
makes it safe; afterwards the input's bytes are free again.

Kernel contracts (stated in each kernel file):

``"window"`` (``mcu_conv2d_inplace_s8``, ``mcu_dwconv2d_inplace_s8``,
``mcu_maxpool2d_inplace_s8``)
    Output pixels ``q = (n*Hout + oy)*Wout + ox`` are produced in increasing order; while pixel
    ``q`` is produced the kernel reads only input pixels inside its window and writes only the
    ``Bo`` bytes of pixel ``q``. Let ``m(q)`` be the smallest input pixel index
    ``(n*H + y)*W + x`` read by any output pixel ``>= q``. When pixel ``q`` is written, every
    input byte still to be read is at or above ``D + m(q)*Bi``; the written bytes end at
    ``(q + 1)*Bo``. So any ``D >= max_q((q + 1)*Bo - m(q)*Bi)`` is safe. (A pixel whose window
    lies wholly in the padding reads nothing and does not lower ``m``.)

    Backward (``node.backward``; the same kernels with ``backward = 1``): pixels are produced
    from the last to the first, and the output lies ``E`` bytes *above* its input. With
    ``M(q)`` the largest input pixel index read by any output pixel ``<= q``, every input byte
    still to be read when pixel ``q`` is written lies below ``(M(q) + 1)*Bi``, and the written
    bytes start at ``E + q*Bo``: any ``E >= max_q((M(q) + 1)*Bi - q*Bo)`` is safe. A chain of
    overlapping layers can then alternate directions instead of drifting down by the sum of
    its offsets (:mod:`mcuai.passes.in_place` chooses).

``"element"`` (``mcu_quantize_f32_s8``)
    Elements are converted in increasing order, each read before it is written. Writing
    element ``q`` must not reach element ``q + 1``: ``(q + 1)*Bo <= D + (q + 1)*Bi``, true for
    ``D = 0`` whenever ``Bo <= Bi`` (a narrowing conversion: the int8 output fills the first
    quarter of the float input).

The offset is rounded up to the plan's alignment by :mod:`mcuai.memory.liveness` (a larger
``D`` is always safe). Should the planner find no gain in a tie, or when one side lives outside
the arena, it drops the tie: these kernels are correct with separate buffers too.
"""

from __future__ import annotations

import numpy as np

from mcuai.ir.node import Node
from mcuai.ops import get_op

#: Kernels that support an output below their input, and their contract (module docstring).
OVERLAP_KERNELS: dict[str, str] = {
    "mcu_conv2d_inplace_s8": "window",
    "mcu_dwconv2d_inplace_s8": "window",
    "mcu_maxpool2d_inplace_s8": "window",
    "mcu_quantize_f32_s8": "element",
}

#: Ops that may run as overlapping in-place layers.
WINDOW_OPS = ("conv2d", "depthwise_conv2d", "max_pool2d")


def is_overlapping(node: Node) -> bool:
    """True for an in-place node whose output is tied to its input with an offset rather than
    sharing its storage: a window op, or a conversion that changes the element size."""
    if node.alias is None or get_op(node.op).is_view or len(node.outputs) != 1:
        return False
    if node.op in WINDOW_OPS:
        return True
    x, y = node.input(node.alias), node.output
    return node.op == "quantize" and x.dtype.itemsize != y.dtype.itemsize


def _first_read(size: int, out: int, k: int, stride: int, dil: int, pad: int) -> np.ndarray:
    """For every output position along one axis, the first in-image input position its window
    reads, or ``size`` (a sentinel above every position) when the window lies in the padding."""
    o = np.arange(out, dtype=np.int64)[:, None] * stride - pad
    taps = o + np.arange(k, dtype=np.int64)[None, :] * dil
    inside = (taps >= 0) & (taps < size)
    first: np.ndarray = np.where(inside, taps, size).min(axis=1)
    return first


def _geometry(node: Node) -> tuple[int, int, int, int, int, int, int, int]:
    """``kh, kw, sh, sw, dh, dw, pad_top, pad_left`` of a window op."""
    a = node.attrs
    if node.op == "max_pool2d":
        kh, kw = a.kernel
        dh, dw = 1, 1
    else:
        _, kh, kw, _ = node.input(1).shape
        dh, dw = a.dilation
    return kh, kw, a.stride[0], a.stride[1], dh, dw, a.pads[0], a.pads[2]


def _last_read(size: int, out: int, k: int, stride: int, dil: int, pad: int) -> np.ndarray:
    """For every output position along one axis, the last in-image input position its window
    reads, or -1 when the window lies in the padding."""
    o = np.arange(out, dtype=np.int64)[:, None] * stride - pad
    taps = o + np.arange(k, dtype=np.int64)[None, :] * dil
    inside = (taps >= 0) & (taps < size)
    last: np.ndarray = np.where(inside, taps, -1).max(axis=1)
    return last


def overlap_offset(node: Node, backward: bool | None = None) -> int:
    """The smallest safe offset (bytes, before alignment) between ``node``'s output and input
    (module docstring): ``D``, the input above the output, for the forward order; ``E``, the
    output above the input, for the backward order (``backward``; default: ``node.backward``).
    ``node`` must be a window op with NHWC input and output, or a QUANTIZE (forward only)."""
    x, y = node.input(0), node.output
    back = node.backward if backward is None else backward
    if node.op not in WINDOW_OPS:
        if y.dtype.itemsize > x.dtype.itemsize or back:
            raise ValueError(f"{node.origin}: this conversion cannot run in place that way")
        return 0
    kh, kw, sh, sw, dh, dw, pt, pl = _geometry(node)
    n, h, w, c_in = x.shape
    _, ho, wo, c_out = y.shape
    bi, bo = c_in * x.dtype.itemsize, c_out * y.dtype.itemsize  # bytes per pixel
    if back:
        last_r = _last_read(h, ho, kh, sh, dh, pt)
        last_c = _last_read(w, wo, kw, sw, dw, pl)
        mb = last_r[:, None] * w + last_c[None, :]
        mb = np.where((last_r[:, None] < 0) | (last_c[None, :] < 0), -1, mb).reshape(-1)
        batch = np.arange(n, dtype=np.int64)[:, None] * (h * w)
        mb = np.where(mb[None, :] < 0, -1, batch + mb[None, :]).reshape(-1)
        upto = np.maximum.accumulate(mb)  # M(q): largest read by pixels <= q
        q = np.arange(upto.size, dtype=np.int64)
        if not (upto >= 0).any():
            return 0
        e = ((upto + 1) * bi - q * bo)[upto >= 0].max()
        return max(int(e), 0)
    rows = _first_read(h, ho, kh, sh, dh, pt)
    cols = _first_read(w, wo, kw, sw, dw, pl)
    big = n * h * w  # above every input pixel index: "reads nothing"
    m = rows[:, None] * w + cols[None, :]
    m = np.where((rows[:, None] >= h) | (cols[None, :] >= w), big, m).reshape(-1)
    m = (np.arange(n, dtype=np.int64)[:, None] * (h * w) + m[None, :]).reshape(-1)
    m = np.minimum(m, big)
    future = np.minimum.accumulate(m[::-1])[::-1]  # m(q): smallest read by pixels >= q
    q1 = np.arange(1, future.size + 1, dtype=np.int64)
    reads = future < big
    if not reads.any():
        return 0
    d = (q1 * bo - future * bi)[reads].max()
    return max(int(d), 0)
