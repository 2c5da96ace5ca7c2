"""HARD_SIGMOID (ONNX HardSigmoid): ``y = max(0, min(1, alpha * x + beta))`` element-wise.

Cost: one operation per element.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ops._common import UnaryOp


@dataclass(frozen=True)
class HardSigmoidAttrs:
    alpha: float = 0.2
    beta: float = 0.5


class HardSigmoid(UnaryOp):
    name = "hard_sigmoid"
    attrs_type = HardSigmoidAttrs
