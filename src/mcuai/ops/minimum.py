"""MINIMUM: ``y = min(a, b)`` element-wise with broadcasting.

Cost: one operation per output element.

Lowering (int8/int16): ``mcu_minimum_s8`` / ``mcu_minimum_s16`` compare the raw integers, as
TFLite does (its converter gives inputs and output one quantization).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.elementwise import lower_min_max
from mcuai.lower.program import Call
from mcuai.ops._common import BinaryOp


class Minimum(BinaryOp):
    name = "minimum"

    def lower(self, node: Node) -> list[Call]:
        calls = lower_min_max(node, "minimum")
        return super().lower(node) if calls is None else calls
