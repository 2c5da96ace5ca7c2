"""ARG_MAX along ``axis``: index of the largest element (the first one on ties); the axis is
removed. Output int32 or int64. Cost: one comparison per input element."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class ArgMaxAttrs:
    axis: int  # normalised to 0..rank-1


class ArgMax(OpDef):
    name = "arg_max"
    attrs_type = ArgMaxAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ArgMaxAttrs = node.attrs
        x = node.input(0).shape
        if not 0 <= a.axis < len(x):
            raise ValueError(f"axis {a.axis} out of range for rank {len(x)}")
        return [tuple(d for i, d in enumerate(x) if i != a.axis)]

    def macc(self, node: Node) -> int:
        return node.input(0).size
