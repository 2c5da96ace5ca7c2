"""ADD: ``y = a + b`` with broadcasting and a fused activation.

Cost: one operation per output element.

Lowering (int8/int16): ``mcu_add_s8`` / ``mcu_add_s16``, TFLite's general quantized ADD (left
shift 20 or 15, two input multipliers and one output multiplier; see
:mod:`mcuai.lower.elementwise`).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.elementwise import lower_add_sub
from mcuai.lower.program import Call
from mcuai.ops._common import BinaryOp, ElementwiseAttrs


class Add(BinaryOp):
    name = "add"
    attrs_type = ElementwiseAttrs

    def lower(self, node: Node) -> list[Call]:
        calls = lower_add_sub(node, "add")
        return super().lower(node) if calls is None else calls
