"""SUB: ``y = a - b`` with broadcasting and a fused activation.

Cost: one operation per output element.

Lowering (int8/int16): ``mcu_sub_s8`` / ``mcu_sub_s16``, TFLite's general quantized SUB (the ADD
rule with a difference; see :mod:`mcuai.lower.elementwise`).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.elementwise import lower_add_sub
from mcuai.lower.program import Call
from mcuai.ops._common import BinaryOp, ElementwiseAttrs


class Sub(BinaryOp):
    name = "sub"
    attrs_type = ElementwiseAttrs

    def lower(self, node: Node) -> list[Call]:
        calls = lower_add_sub(node, "sub")
        return super().lower(node) if calls is None else calls
