"""ARG_MAX along ``axis``: index of the largest element (the first one on ties); the axis is
removed. Output int32 or int64. Cost: one comparison per input element.

Lowering: ``mcu_argmax_s8`` / ``mcu_argmax_f32`` (TFLite ``reference_ops::ArgMinMax``: strict
``>`` so the first index wins ties; NaN-aware for float as LiteRT 2.x: NaN never wins unless all
values are NaN). Stored int8 values are compared directly (a positive scale preserves order).
LiteRT accepts float32, uint8, int8, int32 and bool inputs; mcuai lowers int8 and float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import unsupported
from mcuai.lower.program import Call, Struct, TensorRef
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class ArgMaxAttrs:
    axis: int  # normalised to 0..rank-1


class ArgMax(OpDef):
    name = "arg_max"
    attrs_type = ArgMaxAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ArgMaxAttrs = node.attrs
        x = node.input(0).shape
        if not 0 <= a.axis < len(x):
            raise ValueError(f"axis {a.axis} out of range for rank {len(x)}")
        return [tuple(d for i, d in enumerate(x) if i != a.axis)]

    def macc(self, node: Node) -> int:
        return node.input(0).size

    def lower(self, node: Node) -> list[Call]:
        a: ArgMaxAttrs = node.attrs
        x, y = node.input(0), node.output
        kernel = {DType.INT8: "mcu_argmax_s8", DType.FLOAT32: "mcu_argmax_f32"}.get(x.dtype)
        if kernel is None:
            raise unsupported(node, f"no kernel for {x.dtype.value} input (int8, float32)")
        if y.dtype not in (DType.INT32, DType.INT64):
            raise unsupported(node, f"{y.dtype.value} output (int32 or int64 only)")
        if x.shape[a.axis] == 0:
            raise unsupported(node, "arg max over an empty axis")
        if y.size == 0:
            return []
        params = Struct(
            "mcu_argmax_params",
            [
                ("outer", math.prod(x.shape[: a.axis])),
                ("axis", x.shape[a.axis]),
                ("inner", math.prod(x.shape[a.axis + 1 :])),
                ("out_size", y.dtype.itemsize),
            ],
        )
        return [Call(kernel, (kernel,), [params, TensorRef(x), TensorRef(y, out=True)])]
