"""HARD_SWISH: ``y = x * relu6(x + 3) / 6`` element-wise. Cost: one operation per element."""

from __future__ import annotations

from mcuai.ops._common import UnaryOp


class HardSwish(UnaryOp):
    name = "hard_swish"
