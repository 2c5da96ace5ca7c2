"""CONCATENATION along ``axis`` of any number of inputs with equal other dimensions.
Cost: one operation per output element (a copy, possibly requantizing)."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import Activation, Clamp
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class ConcatAttrs:
    axis: int  # normalised to 0..rank-1
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class Concat(OpDef):
    name = "concat"
    attrs_type = ConcatAttrs
    min_inputs = 1
    max_inputs = 1 << 16

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ConcatAttrs = node.attrs
        shapes = [t.shape for t in node.inputs if t is not None]
        first = shapes[0]
        if not 0 <= a.axis < len(first):
            raise ValueError(f"axis {a.axis} out of range for rank {len(first)}")
        total = 0
        for s in shapes:
            if len(s) != len(first) or any(
                d != e for i, (d, e) in enumerate(zip(s, first, strict=True)) if i != a.axis
            ):
                raise ValueError(f"input shapes {[list(x) for x in shapes]} do not concatenate")
            total += s[a.axis]
        return [(*first[: a.axis], total, *first[a.axis + 1 :])]

    def macc(self, node: Node) -> int:
        return node.output.size
