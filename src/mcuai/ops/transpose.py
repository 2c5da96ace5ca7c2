"""TRANSPOSE: ``y.shape[i] = x.shape[perm[i]]``. Cost: one operation per element (a copy).

Lowering: one ``mcu_copy`` (axes that stay adjacent are merged, so e.g. NHWC -> NCHW is a 3-loop
copy), stored values copied unchanged (TFLite ``reference_ops::Transpose`` ignores quantization).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.movement import check_size, contiguous_strides, copy_call, copy_plan, elem_size
from mcuai.lower.program import Call
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class TransposeAttrs:
    perm: tuple[int, ...]


class Transpose(OpDef):
    name = "transpose"
    attrs_type = TransposeAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: TransposeAttrs = node.attrs
        x = node.input(0).shape
        if sorted(a.perm) != list(range(len(x))):
            raise ValueError(f"perm {list(a.perm)} is not a permutation of rank {len(x)}")
        return [tuple(x[p] for p in a.perm)]

    def macc(self, node: Node) -> int:
        return node.output.size

    def lower(self, node: Node) -> list[Call]:
        a: TransposeAttrs = node.attrs
        x, y = node.input(0), node.output
        es = elem_size(node, x, y)
        check_size(node, x)
        xs = contiguous_strides(x.shape)
        plan = copy_plan(y.shape, [xs[p] for p in a.perm], contiguous_strides(y.shape), es)
        return [] if plan is None else [copy_call(node, x, y, plan, "transpose")]
