"""MINIMUM: ``y = min(a, b)`` element-wise with broadcasting.

Cost: one operation per output element.
"""

from __future__ import annotations

from mcuai.ops._common import BinaryOp


class Minimum(BinaryOp):
    name = "minimum"
