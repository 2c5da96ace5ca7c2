"""DEQUANTIZE: integer -> float, ``x = s * (q - zp)``. Cost: one operation per element."""

from __future__ import annotations

from mcuai.errors import GraphError
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ops._common import UnaryOp


class Dequantize(UnaryOp):
    name = "dequantize"

    def check(self, node: Node, where: str) -> None:
        if node.input(0).quant is None or node.output.dtype is not DType.FLOAT32:
            raise GraphError(f"{where}: needs a quantized input and a float32 output")
