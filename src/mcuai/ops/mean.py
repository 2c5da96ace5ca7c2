"""MEAN over ``axes`` (reduce-mean), optionally keeping reduced dims as 1.
MACC = number of input elements (one accumulation each)."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class MeanAttrs:
    axes: tuple[int, ...]  # normalised, sorted, unique
    keep_dims: bool


class Mean(OpDef):
    name = "mean"
    attrs_type = MeanAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: MeanAttrs = node.attrs
        x = node.input(0).shape
        if any(not 0 <= ax < len(x) for ax in a.axes):
            raise ValueError(f"axes {list(a.axes)} out of range for rank {len(x)}")
        if a.keep_dims:
            return [tuple(1 if i in a.axes else d for i, d in enumerate(x))]
        return [tuple(d for i, d in enumerate(x) if i not in a.axes)]

    def macc(self, node: Node) -> int:
        return node.input(0).size
