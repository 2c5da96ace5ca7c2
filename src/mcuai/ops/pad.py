"""PAD / PADV2: ``pads[d] = (before, after)`` elements added on each axis, filled with ``value``
(the quantized value for integer tensors: TFLite PAD fills with the output zero point).
Cost: one operation per output element (a copy).

Lowering: one ``mcu_pad`` (element-size generic; axes without padding are merged into the rows),
following TFLite ``reference_ops::Pad``: the input's stored values are copied unchanged (no
requantization even when input and output quantization differ, as LiteRT does) and the pad
element is ``value`` converted to the tensor type. LiteRT accepts at most 5 dimensions; mcuai
accepts up to 6 after merging.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import unsupported
from mcuai.lower.movement import check_size, pad_call
from mcuai.lower.program import Call
from mcuai.ops._common import Pool2DAttrs
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class PadAttrs:
    pads: tuple[tuple[int, int], ...]
    value: float = 0.0


@dataclass(frozen=True)
class PaddedPool2DAttrs(Pool2DAttrs):
    """MAX_POOL_2D attributes after ``passes/fuse_pad`` folded a PAD into it: window positions
    outside the image hold ``zero_point(input) + pad_minus_zp`` (the PAD's fill value, kept
    relative to the zero point so that the uint8 -> int8 rewrite leaves it right), instead of
    never winning. Lowered to ``mcu_maxpool2d_inplace_s8`` with that ``pad_value``."""

    pad_minus_zp: int = 0


class Pad(OpDef):
    name = "pad"
    attrs_type = PadAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: PadAttrs = node.attrs
        x = node.input(0).shape
        if len(a.pads) != len(x):
            raise ValueError(f"{len(a.pads)} padding pairs for rank {len(x)}")
        if any(p < 0 or q < 0 for p, q in a.pads):
            raise ValueError("negative padding")
        return [tuple(d + p + q for d, (p, q) in zip(x, a.pads, strict=True))]

    def macc(self, node: Node) -> int:
        return node.output.size

    def lower(self, node: Node) -> list[Call]:
        a: PadAttrs = node.attrs
        x, y = node.input(0), node.output
        if x.dtype is not y.dtype:
            raise unsupported(node, f"{x.dtype.value} input, {y.dtype.value} output")
        check_size(node, y)
        if y.size == 0:
            return []
        if y.dtype.is_float:
            value = np.asarray([a.value], dtype=np.float32)
        elif y.dtype is DType.BOOL:
            value = np.asarray([1 if a.value else 0], dtype=np.uint8)
        else:
            v = a.value
            if not (math.isfinite(v) and v == int(v) and y.dtype.qmin <= v <= y.dtype.qmax):
                raise unsupported(node, f"pad value {v} is not a {y.dtype.value} value")
            value = np.asarray([int(v)], dtype=y.dtype.np)
        return [pad_call(node, x, y, a.pads, value)]
