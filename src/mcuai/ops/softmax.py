"""SOFTMAX over the last axis: ``y_i = exp(beta * (x_i - max x)) / sum_j exp(beta * (x_j - max
x))``. Cost: counted as 5 operations per element (max, subtract, exp, sum, scale).

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_softmax_s8`` (LiteRT
``SoftmaxPrepare<kReference>`` + ``reference_ops::Softmax``; output scale 1/256, zero point
-128), with a 256-entry int32 exp table computed at generation time.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_softmax, softmax_table_bytes
from mcuai.lower.program import Call
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

    def weights_bytes(self, node: Node) -> int:
        return super().weights_bytes(node) + softmax_table_bytes(node)

    def lower(self, node: Node) -> list[Call]:
        a: SoftmaxAttrs = node.attrs
        calls = lower_softmax(node, a.beta)
        return super().lower(node) if calls is None else calls
