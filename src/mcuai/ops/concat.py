"""CONCATENATION along ``axis`` of any number of inputs with equal other dimensions.
Cost: one operation per output element (a copy).

Lowering: one ``mcu_copy`` per input into its slice of the output, stored values copied
unchanged, as TFLite's ``reference_ops::Concatenation`` does for int8, int16 and float32. LiteRT
requires (``concatenation.cc`` Prepare) no fused activation, int8 inputs quantized exactly as
the output (rescaling int8 inputs is rejected, not performed; only uint8 goes through
``ConcatenationWithScaling``) and int16 zero points of 0 (int16 scales may differ and are then
ignored: raw copy); mcuai reports the same combinations as unsupported.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import unsupported
from mcuai.lower.movement import check_size, contiguous_strides, copy_call, copy_plan, elem_size
from mcuai.lower.program import Call
from mcuai.ops._common import Activation, Clamp
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class ConcatAttrs:
    axis: int  # normalised to 0..rank-1
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class Concat(OpDef):
    name = "concat"
    attrs_type = ConcatAttrs
    min_inputs = 1
    max_inputs = 1 << 16

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ConcatAttrs = node.attrs
        shapes = [t.shape for t in node.inputs if t is not None]
        first = shapes[0]
        if not 0 <= a.axis < len(first):
            raise ValueError(f"axis {a.axis} out of range for rank {len(first)}")
        total = 0
        for s in shapes:
            if len(s) != len(first) or any(
                d != e for i, (d, e) in enumerate(zip(s, first, strict=True)) if i != a.axis
            ):
                raise ValueError(f"input shapes {[list(x) for x in shapes]} do not concatenate")
            total += s[a.axis]
        return [(*first[: a.axis], total, *first[a.axis + 1 :])]

    def macc(self, node: Node) -> int:
        return node.output.size

    def lower(self, node: Node) -> list[Call]:
        a: ConcatAttrs = node.attrs
        y = node.output
        xs = [t for t in node.inputs if t is not None]
        es = elem_size(node, y, *xs)
        if a.act is not Activation.NONE:
            raise unsupported(node, f"fused activation {a.act.value} (TFLite requires none)")
        if y.dtype in (DType.INT8, DType.UINT8) and y.quant is not None:
            for t in xs:
                if not y.quant.same_as(t.quant):
                    raise unsupported(
                        node,
                        f"input '{t.name}' is quantized differently from the output; TFLite's "
                        f"{y.dtype.value} CONCATENATION does not rescale (LiteRT rejects it)",
                    )
        if y.dtype is DType.INT16:
            for t in [*xs, y]:
                if t.quant is not None and bool((t.quant.zero_point != 0).any()):
                    raise unsupported(node, f"int16 tensor '{t.name}' has a non-zero zero point")
        check_size(node, y)
        out_strides = contiguous_strides(y.shape)
        calls: list[Call] = []
        offset = 0
        for k, t in enumerate(xs):
            plan = copy_plan(
                t.shape,
                contiguous_strides(t.shape),
                out_strides,
                es,
                out_offset=offset * out_strides[a.axis],
            )
            offset += t.shape[a.axis]
            if plan is not None:
                calls.append(copy_call(node, t, y, plan, f"concat input {k}"))
        return calls
