"""RESIZE_BILINEAR of NHWC data to ``size``. Cost: 4 MACC per output element.

Lowering, with index/weight tables computed here:

- int8 / int16: ``mcu_resize_bilinear_s8`` / ``_s16``, TFLite
  ``reference_ops::ResizeBilinearInteger`` (10-bit fixed-point scales and weights, rounding half
  away from zero at 2^20) — what LiteRT BUILTIN_REF runs for int8 and every resolver for int16.
  Stored values are interpolated directly: like the reference, the kernel ignores the
  quantization parameters (identical input/output quantization is what makes it meaningful).
- float32: ``mcu_resize_bilinear_f32``, ``reference_ops::ResizeBilinear<float>`` (float32 scales
  and weights, same operation order).
- TFLite uint8 (stored as int8 by ``passes/uint8_to_int8``): ``mcu_resize_bilinear_float_s8``,
  ``reference_ops::ResizeBilinear<uint8_t>`` (the float tables and operation order of float32 on
  the uint8 values, ``+ 0.5f`` then truncation), which is what LiteRT BUILTIN_REF runs for uint8.

``align_corners`` together with ``half_pixel_centers`` is rejected, as LiteRT does.
"""

from __future__ import annotations

import math

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import dims4, unsupported
from mcuai.lower.movement import check_size
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.lower.uint8 import from_uint8
from mcuai.ops._common import ResizeAttrs, require_rank
from mcuai.ops.base import OpDef


def _tdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def bilinear_tables_int(
    n_in: int, n_out: int, align_corners: bool, half_pixel: bool
) -> tuple[list[int], list[int], list[int]]:
    """(i0, i1, w) per output index, TFLite ``ComputeInterpolationValuesInteger``: 10-bit
    scale ``s``, ``v = i*s (+ s/2 - 512)``, ``i0 = max(v/1024, 0)``,
    ``i1 = min((v + 1023)/1024, n_in-1)``, ``w = v - 1024*i0`` (truncating divisions)."""
    if align_corners and n_out > 1:
        s = _tdiv(1024 * (n_in - 1) + (n_out - 1) // 2, n_out - 1)
    else:
        s = _tdiv(1024 * n_in + n_out // 2, n_out)
    i0s, i1s, ws = [], [], []
    for i in range(n_out):
        v = i * s + _tdiv(s, 2) - 512 if half_pixel else i * s
        i0 = max(_tdiv(v, 1024), 0)
        i1 = min(_tdiv(v + 1023, 1024), n_in - 1)
        i0s.append(i0)
        i1s.append(i1)
        ws.append(v - 1024 * i0)
    return i0s, i1s, ws


def bilinear_tables_f32(
    n_in: int, n_out: int, align_corners: bool, half_pixel: bool
) -> tuple[list[int], list[int], np.ndarray, np.ndarray]:
    """(i0, i1, 1 - (v - i0), v - i0) per output index, TFLite ``ComputeInterpolationValues``
    in float32."""
    f32 = np.float32
    scale = f32(n_in) / f32(n_out)
    if align_corners and n_out > 1:
        scale = f32(n_in - 1) / f32(n_out - 1)
    i0s, i1s = [], []
    wa = np.empty(n_out, np.float32)
    wb = np.empty(n_out, np.float32)
    for i in range(n_out):
        v = (f32(i) + f32(0.5)) * scale - f32(0.5) if half_pixel else f32(i) * scale
        i0 = max(math.floor(float(v)), 0)
        i1 = min(math.ceil(float(v)), n_in - 1)
        d = f32(v - f32(i0))
        i0s.append(i0)
        i1s.append(i1)
        wb[i] = d
        wa[i] = f32(1) - d
    return i0s, i1s, wa, wb


def _i32(hint: str, v: list[int]) -> CArray:
    return CArray(hint, np.asarray(v, np.int32))


class ResizeBilinear(OpDef):
    name = "resize_bilinear"
    attrs_type = ResizeAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ResizeAttrs = node.attrs
        x = node.input(0).shape
        require_rank(x, 4, "input")
        if min(a.size) <= 0:
            raise ValueError(f"resize to {list(a.size)}")
        return [(x[0], a.size[0], a.size[1], x[3])]

    def macc(self, node: Node) -> int:
        return 4 * node.output.size

    def lower(self, node: Node) -> list[Call]:
        a: ResizeAttrs = node.attrs
        x, y = node.input(0), node.output
        if x.dtype is not y.dtype:
            raise unsupported(node, f"{x.dtype.value} input, {y.dtype.value} output")
        if a.align_corners and a.half_pixel_centers:
            raise unsupported(node, "align_corners with half_pixel_centers (LiteRT rejects it)")
        check_size(node, x)
        check_size(node, y)
        if y.size == 0:
            return []
        _, h, w, _ = x.shape
        oh, ow = a.size
        if x.dtype is DType.INT8 and from_uint8(node):
            kernel = "mcu_resize_bilinear_float_s8"  # TFLite uint8 rule: float interpolation
            params = _f32_params(node, h, w, oh, ow, a)
        elif x.dtype in (DType.INT8, DType.INT16):
            y0, y1, wy = bilinear_tables_int(h, oh, a.align_corners, a.half_pixel_centers)
            x0, x1, wx = bilinear_tables_int(w, ow, a.align_corners, a.half_pixel_centers)
            if max(y0) >= h or max(x0) >= w:  # the reference would read out of bounds
                raise unsupported(node, "resize scale rounding leaves the input")
            kernel = "mcu_resize_bilinear_" + ("s8" if x.dtype is DType.INT8 else "s16")
            params = Struct(
                "mcu_resize_bilinear_params",
                [
                    ("y0", _i32("y0", y0)),
                    ("y1", _i32("y1", y1)),
                    ("wy", _i32("wy", wy)),
                    ("x0", _i32("x0", x0)),
                    ("x1", _i32("x1", x1)),
                    ("wx", _i32("wx", wx)),
                ],
            )
        elif x.dtype is DType.FLOAT32:
            kernel = "mcu_resize_bilinear_f32"
            params = _f32_params(node, h, w, oh, ow, a)
        else:
            return super().lower(node)
        args: list[Value] = [params, dims4(x), TensorRef(x), dims4(y), TensorRef(y, out=True)]
        files = (kernel, "mcu_resize_bilinear_f32") if kernel.endswith("float_s8") else (kernel,)
        return [Call(kernel, files, args)]


def _f32_params(node: Node, h: int, w: int, oh: int, ow: int, a: ResizeAttrs) -> Struct:
    """``mcu_resize_bilinear_f32_params``: the float32 tables of ``ResizeBilinear<T>``."""
    fy0, fy1, ya, yb = bilinear_tables_f32(h, oh, a.align_corners, a.half_pixel_centers)
    fx0, fx1, xa, xb = bilinear_tables_f32(w, ow, a.align_corners, a.half_pixel_centers)
    if max(fy0) >= h or max(fx0) >= w:
        raise unsupported(node, "resize scale rounding leaves the input")
    return Struct(
        "mcu_resize_bilinear_f32_params",
        [
            ("y0", _i32("y0", fy0)),
            ("y1", _i32("y1", fy1)),
            ("ya", CArray("ya", ya)),
            ("yb", CArray("yb", yb)),
            ("x0", _i32("x0", fx0)),
            ("x1", _i32("x1", fx1)),
            ("xa", CArray("xa", xa)),
            ("xb", CArray("xb", xb)),
        ],
    )
