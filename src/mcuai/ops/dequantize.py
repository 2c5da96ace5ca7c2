"""DEQUANTIZE: integer -> float, ``x = s * (q - zp)``. Cost: one operation per element.

Lowering: int8 / uint8 / int16, per tensor or per axis -> float32 with
``mcu_dequantize_{s8,u8,s16}_f32`` (TFLite ``reference_ops::Dequantize`` /
``PerChannelDequantize``; one float32 multiplication, bit-exact with the reference's double
product rounded to float). Constant inputs are folded at compile time instead
(``passes/fold_constants``).
"""

from __future__ import annotations

from mcuai.errors import GraphError
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.program import Call, TensorRef
from mcuai.ops._common import UnaryOp
from mcuai.ops.quantize import SUFFIX, affine_args


class Dequantize(UnaryOp):
    name = "dequantize"

    def check(self, node: Node, where: str) -> None:
        if node.input(0).quant is None or node.output.dtype is not DType.FLOAT32:
            raise GraphError(f"{where}: needs a quantized input and a float32 output")

    def lower(self, node: Node) -> list[Call]:
        x, y = node.input(0), node.output
        if x.dtype not in SUFFIX or y.dtype is not DType.FLOAT32:
            return super().lower(node)
        kernel = f"mcu_dequantize_{SUFFIX[x.dtype]}_f32"
        args = [*affine_args(node, x), TensorRef(x), TensorRef(y, out=True)]
        return [Call(kernel, (kernel,), args)]
