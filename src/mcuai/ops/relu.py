"""RELU / RELU6 / RELU_N1_TO_1 as one op: ``y = min(max(x, lo), hi)`` on real values.

Unlike a fused activation, a standalone ReLU may change the quantization parameters between
input and output (the kernel requantizes, then clamps). Cost: one operation per element.

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_lut_s8``, the table computed with
LiteRT's ``ReluPrepare`` + ``QuantizedReluX`` (``MultiplyByQuantizedMultiplier(s_in / s_out)``,
then the clamp ``[zp + round(lo / s_out), zp + round(hi / s_out)]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_lut_s8, lut_table_bytes
from mcuai.lower.program import Call
from mcuai.ops._common import UnaryOp
from mcuai.quant import lut


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

    def weights_bytes(self, node: Node) -> int:
        return super().weights_bytes(node) + lut_table_bytes(node)

    def lower(self, node: Node) -> list[Call]:
        a: ReluAttrs = node.attrs
        calls = lower_lut_s8(
            node,
            lambda si, zi, so, zo, dt: lut.relu_lut(a.lo, a.hi, si, zi, so, zo, dt),
            f"{a.kind}: QuantizedReluX",
        )
        return super().lower(node) if calls is None else calls
