"""TANH: ``y = tanh(x)`` element-wise. Cost: one operation per element.

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_lut_s8`` with LiteRT's float LUT
(``TanhPrepare<kReference>``); int16 -> ``mcu_tanh_s16`` (``reference_integer_ops::Tanh``, zero
points 0, output scale 2^-15).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_logistic_tanh, lut_table_bytes
from mcuai.lower.program import Call
from mcuai.ops._common import UnaryOp


class Tanh(UnaryOp):
    name = "tanh"

    def weights_bytes(self, node: Node) -> int:
        return super().weights_bytes(node) + lut_table_bytes(node)

    def lower(self, node: Node) -> list[Call]:
        calls = lower_logistic_tanh(node, "tanh")
        return super().lower(node) if calls is None else calls
