"""LOGISTIC: ``y = 1 / (1 + exp(-x))`` element-wise. Cost: one operation per element.

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_lut_s8`` with LiteRT's float LUT
(``SigmoidPrepare<kReference>``; output scale must be 1/256); int16 -> ``mcu_logistic_s16``
(``reference_integer_ops::Logistic``, zero points 0, output scale 2^-15).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_logistic_tanh, lut_table_bytes
from mcuai.lower.program import Call
from mcuai.ops._common import UnaryOp


class Logistic(UnaryOp):
    name = "logistic"

    def weights_bytes(self, node: Node) -> int:
        return super().weights_bytes(node) + lut_table_bytes(node)

    def lower(self, node: Node) -> list[Call]:
        calls = lower_logistic_tanh(node, "logistic")
        return super().lower(node) if calls is None else calls
