"""SPLIT (and SPLIT_V, ONNX Split): cut the input along ``axis`` into pieces of ``sizes``.
Cost: one operation per element (a copy).

Lowering: one ``mcu_copy`` per output, stored values copied unchanged (TFLite
``reference_ops::Split`` copies raw values whatever the quantization parameters). No code when
``passes/in_place.py`` made the outputs views of their contiguous slices (``alias`` set).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.movement import check_size, contiguous_strides, copy_call, copy_plan, elem_size
from mcuai.lower.program import Call
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class SplitAttrs:
    axis: int  # normalised to 0..rank-1
    sizes: tuple[int, ...]


class Split(OpDef):
    name = "split"
    attrs_type = SplitAttrs
    num_outputs = None

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: SplitAttrs = node.attrs
        x = node.input(0).shape
        if not 0 <= a.axis < len(x):
            raise ValueError(f"axis {a.axis} out of range for rank {len(x)}")
        if sum(a.sizes) != x[a.axis] or len(a.sizes) != len(node.outputs):
            raise ValueError(f"sizes {list(a.sizes)} do not split an axis of {x[a.axis]}")
        return [(*x[: a.axis], s, *x[a.axis + 1 :]) for s in a.sizes]

    def macc(self, node: Node) -> int:
        return node.input(0).size

    def lower(self, node: Node) -> list[Call]:
        if node.alias is not None:  # the outputs are views of their slices (passes/in_place)
            return []
        a: SplitAttrs = node.attrs
        x = node.input(0)
        es = elem_size(node, x, *node.outputs)
        check_size(node, x)
        in_strides = contiguous_strides(x.shape)
        calls: list[Call] = []
        offset = 0
        for k, y in enumerate(node.outputs):
            plan = copy_plan(
                y.shape,
                in_strides,
                contiguous_strides(y.shape),
                es,
                in_offset=offset * in_strides[a.axis],
            )
            offset += y.shape[a.axis]
            if plan is not None:
                calls.append(copy_call(node, x, y, plan, f"split output {k}"))
        return calls
