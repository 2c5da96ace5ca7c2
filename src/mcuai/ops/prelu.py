"""PRELU: ``y = x if x >= 0 else alpha * x`` with a (usually constant) ``alpha`` tensor that
broadcasts to ``x``. Cost: one operation per element."""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.ops._common import broadcast_shapes
from mcuai.ops.base import OpDef


class PRelu(OpDef):
    name = "prelu"
    min_inputs = 2
    max_inputs = 2

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        return [broadcast_shapes(node.input(0).shape, node.input(1).shape)]

    def macc(self, node: Node) -> int:
        return node.output.size
