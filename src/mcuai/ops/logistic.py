"""LOGISTIC: ``y = 1 / (1 + exp(-x))`` element-wise. Cost: one operation per element."""

from __future__ import annotations

from mcuai.ops._common import UnaryOp


class Logistic(UnaryOp):
    name = "logistic"
