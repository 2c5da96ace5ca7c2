"""BATCH_MATMUL (ONNX MatMul of two activations, QLinearMatMul without constant weights):
``y = a @ b`` with numpy ``matmul`` semantics: the last two axes are multiplied
(``[.., M, K] @ [.., K, N] -> [.., M, N]``), leading (batch) axes broadcast. Both inputs have
rank >= 2 (the frontend reshapes rank-1 operands).

MACC = batch·M·N·K, batch = product of the broadcast leading dims.
"""

from __future__ import annotations

import math

from mcuai.errors import GraphError
from mcuai.ir.node import Node
from mcuai.ops._common import broadcast_shapes
from mcuai.ops.base import OpDef, is_quantized


class BatchMatMul(OpDef):
    name = "batch_matmul"
    min_inputs = 2
    max_inputs = 2

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a, b = node.input(0).shape, node.input(1).shape
        if len(a) < 2 or len(b) < 2:
            raise ValueError(f"operands must have rank >= 2, have {list(a)} and {list(b)}")
        if a[-1] != b[-2]:
            raise ValueError(f"cannot multiply {list(a)} by {list(b)}")
        batch = broadcast_shapes(a[:-2], b[:-2])
        return [(*batch, a[-2], b[-1])]

    def check(self, node: Node, where: str) -> None:
        a, b, y = node.input(0), node.input(1), node.output
        if is_quantized(a) and not (is_quantized(b) and is_quantized(y)):
            raise GraphError(f"{where}: quantized input needs a quantized second input and output")

    def macc(self, node: Node) -> int:
        y = node.output.shape
        return math.prod(y) * node.input(0).shape[-1]
