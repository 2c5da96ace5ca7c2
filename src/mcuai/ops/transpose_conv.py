"""TRANSPOSE_CONV: the gradient of CONV_2D (a.k.a. deconvolution), NHWC, filter
``[Cout, Kh, Kw, Cin]``.

Every input pixel scatters ``x[n,iy,ix,ci] * w[co,ky,kx,ci]`` to output position
``(iy*sh + ky - pad_top, ix*sw + kx - pad_left)``; positions outside the output are dropped;
bias is added afterwards. The output size is stated by the model (``out_hw``); ``pads`` are the
SAME/VALID paddings TFLite derives from that output size.

MACC = Hin·Win·Cin·Kh·Kw·Cout (per batch element).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import Activation, Clamp, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class TransposeConvAttrs:
    stride: tuple[int, int]
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    out_hw: tuple[int, int]
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class TransposeConv(WeightedOp):
    name = "transpose_conv"
    attrs_type = TransposeConvAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: TransposeConvAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(x, 4, "input")
        require_rank(w, 4, "filter")
        if w[3] != x[3]:
            raise ValueError(f"filter has {w[3]} input channels, input {x[3]}")
        if min(a.out_hw) <= 0 or min(a.stride) <= 0:
            raise ValueError("output size and strides must be positive")
        b = node.opt_input(2)
        if b is not None and b.size != w[0]:
            raise ValueError(f"bias has {b.size} elements for {w[0]} output channels")
        return [(x[0], a.out_hw[0], a.out_hw[1], w[0])]

    def macc(self, node: Node) -> int:
        n, h, w, cin = node.input(0).shape
        cout, kh, kw, _ = node.input(1).shape
        return n * h * w * cin * kh * kw * cout
