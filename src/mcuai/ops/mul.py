"""MUL: ``y = a * b`` with broadcasting and a fused activation.

Cost: one operation per output element.

Lowering (int8/int16): ``mcu_mul_s8`` / ``mcu_mul_s16``, one requantization of the product of the
offset inputs with ``s1 * s2 / s_out`` evaluated in float32 (see :mod:`mcuai.lower.elementwise`).
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.elementwise import lower_mul
from mcuai.lower.program import Call
from mcuai.ops._common import BinaryOp, ElementwiseAttrs


class Mul(BinaryOp):
    name = "mul"
    attrs_type = ElementwiseAttrs

    def lower(self, node: Node) -> list[Call]:
        calls = lower_mul(node)
        return super().lower(node) if calls is None else calls
