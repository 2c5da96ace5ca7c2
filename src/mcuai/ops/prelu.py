"""PRELU: ``y = x if x >= 0 else alpha * x`` with a (usually constant) ``alpha`` tensor that
broadcasts to ``x``. Cost: one operation per element.

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_prelu_s8`` (LiteRT
``PreluPrepare`` + ``reference_ops::BroadcastPrelu4DSlow``: one multiplier for ``x >= 0``, one
for ``x * alpha``).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_prelu
from mcuai.lower.program import Call
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

    def lower(self, node: Node) -> list[Call]:
        calls = lower_prelu(node)
        return super().lower(node) if calls is None else calls
