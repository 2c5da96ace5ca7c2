"""RESIZE_NEAREST_NEIGHBOR of NHWC data to ``size``. Cost: one operation per output element.

Lowering: ``mcu_resize_nearest`` (element-size generic) with per-row and per-column source index
tables computed here exactly as TFLite's ``reference_ops::GetNearestNeighbor`` does, in float32;
stored values are copied unchanged (the reference ignores quantization).
"""

from __future__ import annotations

import math

import numpy as np

from mcuai.ir.node import Node
from mcuai.lower.context import dims4
from mcuai.lower.movement import check_size, elem_size
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.ops._common import ResizeAttrs, require_rank
from mcuai.ops.base import OpDef


def nearest_index(n_in: int, n_out: int, align_corners: bool, half_pixel: bool) -> list[int]:
    """Source index of every output index (TFLite ``GetNearestNeighbor``, float32 math)."""
    f32 = np.float32
    if align_corners and n_out > 1:
        scale = f32(n_in - 1) / f32(n_out - 1)
    else:
        scale = f32(n_in) / f32(n_out)
    offset = f32(0.5) if half_pixel else f32(0.0)
    out = []
    for i in range(n_out):
        v = float((f32(i) + offset) * scale)
        j = int(math.copysign(math.floor(abs(v) + 0.5), v)) if align_corners else math.floor(v)
        j = min(j, n_in - 1)
        if half_pixel:
            j = max(j, 0)
        out.append(j)
    return out


class ResizeNearest(OpDef):
    name = "resize_nearest"
    attrs_type = ResizeAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ResizeAttrs = node.attrs
        x = node.input(0).shape
        require_rank(x, 4, "input")
        if min(a.size) <= 0:
            raise ValueError(f"resize to {list(a.size)}")
        return [(x[0], a.size[0], a.size[1], x[3])]

    def macc(self, node: Node) -> int:
        return node.output.size

    def lower(self, node: Node) -> list[Call]:
        a: ResizeAttrs = node.attrs
        x, y = node.input(0), node.output
        es = elem_size(node, x, y)
        check_size(node, x)
        check_size(node, y)
        if y.size == 0:
            return []
        _, h, w, _ = x.shape
        yi = nearest_index(h, a.size[0], a.align_corners, a.half_pixel_centers)
        xi = nearest_index(w, a.size[1], a.align_corners, a.half_pixel_centers)
        params = Struct(
            "mcu_resize_nearest_params",
            [
                ("elem_size", es),
                ("y_index", CArray("y_index", np.asarray(yi, np.int32), "source row")),
                ("x_index", CArray("x_index", np.asarray(xi, np.int32), "source column")),
            ],
        )
        args: list[Value] = [params, dims4(x), TensorRef(x), dims4(y), TensorRef(y, out=True)]
        return [Call("mcu_resize_nearest", ("mcu_resize_nearest",), args)]
