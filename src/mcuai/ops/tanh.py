"""TANH: ``y = tanh(x)`` element-wise. Cost: one operation per element."""

from __future__ import annotations

from mcuai.ops._common import UnaryOp


class Tanh(UnaryOp):
    name = "tanh"
