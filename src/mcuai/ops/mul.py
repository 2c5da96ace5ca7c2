"""MUL: ``y = a * b`` with broadcasting and a fused activation.

Cost: one operation per output element.
"""

from __future__ import annotations

from mcuai.ops._common import BinaryOp, ElementwiseAttrs


class Mul(BinaryOp):
    name = "mul"
    attrs_type = ElementwiseAttrs
