"""GELU (ONNX Gelu, opset 20): ``y = 0.5 x (1 + erf(x / sqrt(2)))``, or with
``approximate`` the tanh form ``y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

Cost: one operation per element.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ops._common import UnaryOp


@dataclass(frozen=True)
class GeluAttrs:
    approximate: bool = False  # True: the tanh approximation (ONNX approximate="tanh")


class Gelu(UnaryOp):
    name = "gelu"
    attrs_type = GeluAttrs
