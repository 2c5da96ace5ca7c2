"""PAD / PADV2: ``pads[d] = (before, after)`` elements added on each axis, filled with ``value``
(the quantized value for integer tensors: TFLite PAD fills with the output zero point).
Cost: one operation per output element (a copy)."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class PadAttrs:
    pads: tuple[tuple[int, int], ...]
    value: float = 0.0


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
