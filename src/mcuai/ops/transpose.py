"""TRANSPOSE: ``y.shape[i] = x.shape[perm[i]]``. Cost: one operation per element (a copy)."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class TransposeAttrs:
    perm: tuple[int, ...]


class Transpose(OpDef):
    name = "transpose"
    attrs_type = TransposeAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: TransposeAttrs = node.attrs
        x = node.input(0).shape
        if sorted(a.perm) != list(range(len(x))):
            raise ValueError(f"perm {list(a.perm)} is not a permutation of rank {len(x)}")
        return [tuple(x[p] for p in a.perm)]

    def macc(self, node: Node) -> int:
        return node.output.size
