"""CONCATENATION along ``axis`` of any number of inputs with equal other dimensions.
Cost: one operation per output element (a copy).

Lowering: one ``mcu_copy`` per input into its slice of the output, stored values copied
unchanged, as TFLite's ``reference_ops::Concatenation`` does for int8, int16 and float32. LiteRT
requires (``concatenation.cc`` Prepare) no fused activation, int8 inputs quantized exactly as
the output (rescaling int8 inputs is rejected, not performed; only uint8 goes through
``ConcatenationWithScaling``) and int16 zero points of 0 (int16 scales may differ and are then
ignored: raw copy); mcuai reports the same combinations as unsupported.

TFLite uint8 CONCATENATION (stored as int8 by ``passes/uint8_to_int8``) goes through
``reference_ops::ConcatenationWithScaling``: inputs quantized exactly as the output are copied,
the others are rescaled in float32 (``round(u * (s_in * (1/s_out)) - zp_in * scale) + zp_out``,
clamped), which is a 256-entry table per such input (:func:`mcuai.lower.uint8.concat_rescale_table`)
applied by ``mcu_copy_lut_s8`` while copying into the output slice.

No code at all when ``passes/in_place.py`` had the producers write straight into their slices
(``alias`` set: contiguous slices, equal types and quantization).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import scale_of, unsupported, zp_of
from mcuai.lower.movement import (
    CopyPlan,
    check_size,
    contiguous_strides,
    copy_call,
    copy_plan,
    elem_size,
)
from mcuai.lower.program import Call, CArray, TensorRef, Value
from mcuai.lower.uint8 import concat_rescale_table, from_uint8
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
        if node.alias is not None:  # producers wrote into the slices (passes/in_place.py)
            return []
        a: ConcatAttrs = node.attrs
        y = node.output
        xs = [t for t in node.inputs if t is not None]
        es = elem_size(node, y, *xs)
        if a.act is not Activation.NONE:
            raise unsupported(node, f"fused activation {a.act.value} (TFLite requires none)")
        yq = y.quant
        rescale = from_uint8(node) and yq is not None  # uint8 ConcatenationWithScaling
        if y.dtype in (DType.INT8, DType.UINT8) and y.quant is not None and not rescale:
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
            if plan is None:
                continue
            if rescale and yq is not None and not yq.same_as(t.quant):
                calls.append(_rescale_call(node, t, y, plan, f"concat input {k}"))
            else:
                calls.append(copy_call(node, t, y, plan, f"concat input {k}"))
        return calls


def _rescale_call(node: Node, t: Tensor, y: Tensor, plan: CopyPlan, what: str) -> Call:
    """uint8 ConcatenationWithScaling of one input: its copy through a rescaling table."""
    if t.dtype is not DType.INT8 or t.quant is None or t.quant.per_axis:
        raise unsupported(node, f"input '{t.name}' needs per-tensor uint8 quantization")
    s_in, zp_in = scale_of(node, t), zp_of(node, t) + 128
    s_out, zp_out = scale_of(node, y), zp_of(node, y) + 128
    table = concat_rescale_table(s_in, zp_in, s_out, zp_out)
    call = copy_call(node, t, y, plan, what)
    params = call.args[0]
    comment = (
        f"{what} rescaled (uint8 ConcatenationWithScaling: s {s_in:.8g} -> {s_out:.8g}, "
        f"zp {zp_in} -> {zp_out})"
    )
    args: list[Value] = [
        params,
        CArray("lut", table, "uint8 concat rescaling table, index q + 128"),
        TensorRef(t),
        TensorRef(y, out=True),
    ]
    return Call("mcu_copy_lut_s8", ("mcu_copy_lut_s8", "mcu_copy"), args, comment=comment)
