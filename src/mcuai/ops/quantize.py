"""QUANTIZE: float -> integer (``q = clamp(round(x / s) + zp)``) or integer -> integer
requantization between two sets of parameters. Cost: one operation per element."""

from __future__ import annotations

from mcuai.errors import GraphError
from mcuai.ir.node import Node
from mcuai.ops._common import UnaryOp
from mcuai.ops.base import is_quantized


class Quantize(UnaryOp):
    name = "quantize"

    def check(self, node: Node, where: str) -> None:
        if not is_quantized(node.output):
            raise GraphError(f"{where}: output must be a quantized integer tensor")
