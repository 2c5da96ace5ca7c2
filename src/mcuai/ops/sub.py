"""SUB: ``y = a - b`` with broadcasting and a fused activation.

Cost: one operation per output element.
"""

from __future__ import annotations

from mcuai.ops._common import BinaryOp, ElementwiseAttrs


class Sub(BinaryOp):
    name = "sub"
    attrs_type = ElementwiseAttrs
