"""LEAKY_RELU: ``y = x if x >= 0 else alpha * x``. Cost: one operation per element.

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_lut_s8``, the table computed with
LiteRT's ``LeakyReluPrepare`` + ``reference_ops::QuantizeLeakyRelu`` (identity and alpha
multipliers, ``MultiplyByQuantizedMultiplier``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_lut_s8, lut_table_bytes
from mcuai.lower.program import Call
from mcuai.ops._common import UnaryOp
from mcuai.quant import lut


@dataclass(frozen=True)
class LeakyReluAttrs:
    alpha: float


class LeakyRelu(UnaryOp):
    name = "leaky_relu"
    attrs_type = LeakyReluAttrs

    def weights_bytes(self, node: Node) -> int:
        return super().weights_bytes(node) + lut_table_bytes(node)

    def lower(self, node: Node) -> list[Call]:
        a: LeakyReluAttrs = node.attrs
        calls = lower_lut_s8(
            node,
            lambda si, zi, so, zo, dt: lut.leaky_relu_lut(a.alpha, si, zi, so, zo, dt),
            "reference_ops::QuantizeLeakyRelu",
        )
        return super().lower(node) if calls is None else calls
