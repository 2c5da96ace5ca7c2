"""SOFTMAX over the last axis: ``y_i = exp(beta * (x_i - max x)) / sum_j exp(beta * (x_j - max
x))``. Cost: counted as 5 operations per element (max, subtract, exp, sum, scale)."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import UnaryOp


@dataclass(frozen=True)
class SoftmaxAttrs:
    beta: float = 1.0


class Softmax(UnaryOp):
    name = "softmax"
    attrs_type = SoftmaxAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        if node.input(0).rank < 1:
            raise ValueError("softmax needs at least one dimension")
        return [node.input(0).shape]

    def macc(self, node: Node) -> int:
        return 5 * node.output.size
