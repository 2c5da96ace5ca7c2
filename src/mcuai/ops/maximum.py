"""MAXIMUM: ``y = max(a, b)`` element-wise with broadcasting.

Cost: one operation per output element.

Lowering (int8/int16): ``mcu_maximum_s8`` / ``mcu_maximum_s16`` compare the raw integers, as
TFLite does (its converter gives inputs and output one quantization).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.elementwise import lower_min_max
from mcuai.lower.program import Call
from mcuai.ops._common import BinaryOp


class Maximum(BinaryOp):
    name = "maximum"

    def lower(self, node: Node) -> list[Call]:
        calls = lower_min_max(node, "maximum")
        return super().lower(node) if calls is None else calls
