"""LEAKY_RELU: ``y = x if x >= 0 else alpha * x``. Cost: one operation per element."""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ops._common import UnaryOp


@dataclass(frozen=True)
class LeakyReluAttrs:
    alpha: float


class LeakyRelu(UnaryOp):
    name = "leaky_relu"
    attrs_type = LeakyReluAttrs
