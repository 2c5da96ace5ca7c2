"""MAXIMUM: ``y = max(a, b)`` element-wise with broadcasting.

Cost: one operation per output element.
"""

from __future__ import annotations

from mcuai.ops._common import BinaryOp


class Maximum(BinaryOp):
    name = "maximum"
