"""STRIDED_SLICE (and ONNX Slice): on axis ``d`` keep indices ``range(begin[d], end[d],
strides[d])`` (Python ``range`` semantics after the frontend resolved masks and negative
indices), then drop the axes in ``shrink`` (each of which has exactly one index left).
Cost: one operation per output element (a copy).

Lowering: one ``mcu_copy`` (negative strides walk the input backwards), stored values copied
unchanged (TFLite ``reference_ops::StridedSlice`` ignores quantization).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.lower.movement import check_size, contiguous_strides, copy_call, copy_plan, elem_size
from mcuai.lower.program import Call
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class StridedSliceAttrs:
    begin: tuple[int, ...]
    end: tuple[int, ...]
    strides: tuple[int, ...]
    shrink: tuple[int, ...] = ()


def sliced_shape(x: tuple[int, ...], a: StridedSliceAttrs) -> tuple[int, ...]:
    """Shape before the shrink axes are dropped."""
    if not len(a.begin) == len(a.end) == len(a.strides) == len(x):
        raise ValueError("begin/end/strides must have one entry per input axis")
    out = []
    for d, b, e, s in zip(x, a.begin, a.end, a.strides, strict=True):
        if s == 0:
            raise ValueError("stride 0")
        r = range(b, e, s)
        if r and not (0 <= r[0] < d and 0 <= r[-1] < d):
            raise ValueError(f"slice {b}:{e}:{s} outside an axis of {d}")
        out.append(len(r))
    return tuple(out)


class StridedSlice(OpDef):
    name = "strided_slice"
    attrs_type = StridedSliceAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: StridedSliceAttrs = node.attrs
        s = sliced_shape(node.input(0).shape, a)
        for ax in a.shrink:
            if not 0 <= ax < len(s) or s[ax] != 1:
                raise ValueError(f"shrink axis {ax} does not have exactly one element")
        return [tuple(d for i, d in enumerate(s) if i not in a.shrink)]

    def macc(self, node: Node) -> int:
        return node.output.size

    def lower(self, node: Node) -> list[Call]:
        a: StridedSliceAttrs = node.attrs
        x, y = node.input(0), node.output
        es = elem_size(node, x, y)
        check_size(node, x)
        counts = sliced_shape(x.shape, a)
        xs = contiguous_strides(x.shape)
        start = sum(b * s for b, s, c in zip(a.begin, xs, counts, strict=True) if c > 0)
        plan = copy_plan(
            counts,
            [s * st for s, st in zip(xs, a.strides, strict=True)],
            contiguous_strides(counts),
            es,
            in_offset=start,
        )
        return [] if plan is None else [copy_call(node, x, y, plan, "strided slice")]
