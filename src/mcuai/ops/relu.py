"""RELU / RELU6 / RELU_N1_TO_1 as one op: ``y = min(max(x, lo), hi)`` on real values.

Unlike a fused activation, a standalone ReLU may change the quantization parameters between
input and output (the kernel requantizes, then clamps). Cost: one operation per element.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import UnaryOp


@dataclass(frozen=True)
class ReluAttrs:
    lo: float  # real-valued lower bound (0 for RELU/RELU6, -1 for RELU_N1_TO_1)
    hi: float  # real-valued upper bound (inf for RELU)
    kind: str  # source op name for reports: "relu", "relu6", "relu_n1_to_1"


class Relu(UnaryOp):
    name = "relu"
    attrs_type = ReluAttrs

    def describe(self, node: Node) -> str:
        a: ReluAttrs = node.attrs
        return a.kind
