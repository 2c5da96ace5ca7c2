"""HARD_SWISH: ``y = x * relu6(x + 3) / 6`` element-wise. Cost: one operation per element.

Lowering (see :mod:`mcuai.lower.activations`): int8 -> ``mcu_lut_s8``, the table computed with
LiteRT's ``HardSwishPrepare`` + ``reference_ops::HardSwish`` 16-bit fixed-point rule.
"""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.activations import lower_lut_s8, lut_table_bytes
from mcuai.lower.program import Call
from mcuai.ops._common import UnaryOp
from mcuai.quant import lut


class HardSwish(UnaryOp):
    name = "hard_swish"

    def weights_bytes(self, node: Node) -> int:
        return super().weights_bytes(node) + lut_table_bytes(node)

    def lower(self, node: Node) -> list[Call]:
        calls = lower_lut_s8(
            node,
            lut.hard_swish_lut,
            "reference_ops::HardSwish",
        )
        return super().lower(node) if calls is None else calls
