"""DEPTHWISE_CONV_2D: per-channel 2-D convolution, filter ``[1, Kh, Kw, Cout]`` with
``Cout = Cin * multiplier``; output channel ``co`` reads input channel ``co // multiplier``.

``y[n,oy,ox,co] = b[co] + sum_{ky,kx} x[n, oy*sh + ky*dh - pad_top, ox*sw + kx*dw - pad_left,
co // m] * w[0, ky, kx, co]``.

MACC = Hout·Wout·Cout·Kh·Kw (per batch element).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import Activation, Clamp, conv_out_size, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class DepthwiseConv2DAttrs:
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    multiplier: int
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class DepthwiseConv2D(WeightedOp):
    name = "depthwise_conv2d"
    attrs_type = DepthwiseConv2DAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: DepthwiseConv2DAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(x, 4, "input")
        require_rank(w, 4, "filter")
        n, h, wd, cin = x
        one, kh, kw, cout = w
        if one != 1:
            raise ValueError(f"depthwise filter must be [1,Kh,Kw,C], is {list(w)}")
        if a.multiplier <= 0 or cout != cin * a.multiplier:
            raise ValueError(
                f"filter has {cout} channels, input {cin} with multiplier {a.multiplier}"
            )
        b = node.opt_input(2)
        if b is not None and b.size != cout:
            raise ValueError(f"bias has {b.size} elements for {cout} output channels")
        ho = conv_out_size(h, kh, a.stride[0], a.dilation[0], a.pads[0] + a.pads[1])
        wo = conv_out_size(wd, kw, a.stride[1], a.dilation[1], a.pads[2] + a.pads[3])
        return [(n, ho, wo, cout)]

    def macc(self, node: Node) -> int:
        n, ho, wo, cout = node.output.shape
        _, kh, kw, _ = node.input(1).shape
        return n * ho * wo * cout * kh * kw
