"""SPLIT (and SPLIT_V, ONNX Split): cut the input along ``axis`` into pieces of ``sizes``.
Cost: one operation per element (a copy)."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class SplitAttrs:
    axis: int  # normalised to 0..rank-1
    sizes: tuple[int, ...]


class Split(OpDef):
    name = "split"
    attrs_type = SplitAttrs
    num_outputs = None

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: SplitAttrs = node.attrs
        x = node.input(0).shape
        if not 0 <= a.axis < len(x):
            raise ValueError(f"axis {a.axis} out of range for rank {len(x)}")
        if sum(a.sizes) != x[a.axis] or len(a.sizes) != len(node.outputs):
            raise ValueError(f"sizes {list(a.sizes)} do not split an axis of {x[a.axis]}")
        return [(*x[: a.axis], s, *x[a.axis + 1 :]) for s in a.sizes]

    def macc(self, node: Node) -> int:
        return node.input(0).size
