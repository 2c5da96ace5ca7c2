"""RESHAPE (also SQUEEZE, EXPAND_DIMS, ONNX Flatten/Squeeze/Unsqueeze): same bytes, new shape.

Row-major data does not move, so after the ``alias_views`` pass the output shares the input's
storage: zero bytes, zero copies, no code. Cost: none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.movement import full_copy
from mcuai.lower.program import Call
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class ReshapeAttrs:
    shape: tuple[int, ...]
    kind: str = "reshape"  # source op for reports: "reshape", "squeeze", "expand_dims", ...


class Reshape(OpDef):
    name = "reshape"
    attrs_type = ReshapeAttrs
    is_view = True

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ReshapeAttrs = node.attrs
        if math.prod(a.shape) != node.input(0).size:
            raise ValueError(f"cannot reshape {list(node.input(0).shape)} to {list(a.shape)}")
        return [a.shape]

    def describe(self, node: Node) -> str:
        a: ReshapeAttrs = node.attrs
        return a.kind

    def lower(self, node: Node) -> list[Call]:
        if node.alias == 0:
            return []  # a view: same storage, no code
        # not aliased (e.g. a constant input): copy the bytes
        return full_copy(node, node.input(0), node.output, self.describe(node))
