"""QUANTIZE: float -> integer (``q = clamp(round(x / s) + zp)``) or integer -> integer
requantization between two sets of parameters. Cost: one operation per element.

Lowering (TFLite ``quantize.cc``, reference kernels):

* float32 -> int8 / uint8 / int16, per tensor or per axis: ``AffineQuantize`` /
  ``PerChannelQuantize`` (float32 division by the scale, ``roundf``, clamp):
  ``mcu_quantize_f32_{s8,u8,s16}``;
* int8 / uint8 / int16 -> int8 / uint8 / int16, per tensor: ``Requantize`` with
  ``QuantizeMultiplier((double)s_in / (double)s_out)`` and ``MultiplyByQuantizedMultiplier``:
  ``mcu_quantize_<in>_<out>``. LiteRT accepts int8/uint8 -> int8/uint8 and int16 -> int8/int16;
  int8 -> int16 (TFLite Micro) uses the same rule.
"""

from __future__ import annotations

import math

import numpy as np

from mcuai.errors import GraphError
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import scale_of, unsupported, zp_of
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.ops._common import UnaryOp
from mcuai.ops.base import is_quantized
from mcuai.quant.fixed_point import quantize_multiplier

#: Kernel type suffix of each integer dtype.
SUFFIX = {DType.INT8: "s8", DType.UINT8: "u8", DType.INT16: "s16"}

#: Integer -> integer conversions with a requantization kernel.
REQUANT_PAIRS = {
    (DType.INT8, DType.INT8),
    (DType.INT8, DType.UINT8),
    (DType.UINT8, DType.INT8),
    (DType.UINT8, DType.UINT8),
    (DType.INT16, DType.INT8),
    (DType.INT16, DType.INT16),
    (DType.INT8, DType.INT16),
}


def affine_args(node: Node, q: Tensor) -> list[Value]:
    """Scale and zero-point arrays and ``{1, outer, channels, inner}`` dims of the quantized
    tensor ``q`` (per tensor: one channel), for the float <-> integer conversion kernels."""
    qp = q.quant
    if qp is None:
        raise unsupported(node, f"tensor '{q.name}' has no quantization parameters")
    scale = qp.scale.reshape(-1).astype(np.float32)
    zp = qp.zero_point.reshape(-1)
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise unsupported(node, f"tensor '{q.name}' has a non-positive or non-finite scale")
    if np.any(zp < q.dtype.qmin) or np.any(zp > q.dtype.qmax):
        raise unsupported(node, f"tensor '{q.name}' has a zero point outside its type's range")
    if qp.per_axis:
        assert qp.axis is not None
        ax = qp.axis % max(q.rank, 1)
        if q.shape[ax] != qp.channels:
            raise unsupported(node, f"{qp.channels} scales for axis {ax} of {list(q.shape)}")
        outer, channels = math.prod(q.shape[:ax]), q.shape[ax]
        inner = math.prod(q.shape[ax + 1 :])
    else:
        outer, channels, inner = 1, 1, q.size
    dims = Struct("mcu_dims", [("n", 1), ("h", outer), ("w", channels), ("c", inner)])
    return [
        CArray("scale", scale, "quantization scale"),
        CArray("zero_point", zp.astype(np.int32), "quantization zero point"),
        dims,
    ]


class Quantize(UnaryOp):
    name = "quantize"

    def check(self, node: Node, where: str) -> None:
        if not is_quantized(node.output):
            raise GraphError(f"{where}: output must be a quantized integer tensor")

    def lower(self, node: Node) -> list[Call]:
        x, y = node.input(0), node.output
        if y.dtype not in SUFFIX:
            return super().lower(node)
        if x.dtype is DType.FLOAT32:
            kernel = f"mcu_quantize_f32_{SUFFIX[y.dtype]}"
            conv: list[Value] = [*affine_args(node, y), TensorRef(x), TensorRef(y, out=True)]
            return [Call(kernel, (kernel,), conv)]
        if (x.dtype, y.dtype) not in REQUANT_PAIRS:
            return super().lower(node)
        if x.quant is None or x.quant.per_axis or y.quant is None or y.quant.per_axis:
            raise unsupported(node, "integer requantization needs per-tensor parameters")
        real = float(np.float32(scale_of(node, x))) / float(np.float32(scale_of(node, y)))
        mult, shift = quantize_multiplier(real)
        zin, zout = zp_of(node, x), zp_of(node, y)
        kernel = f"mcu_quantize_{SUFFIX[x.dtype]}_{SUFFIX[y.dtype]}"
        quant = Struct(
            "mcu_quant_pc",
            [
                ("multiplier", CArray("multiplier", np.array([mult], np.int32), "s_in / s_out")),
                ("shift", CArray("shift", np.array([shift], np.int32), "(>0: left)")),
            ],
        )
        args: list[Value] = [quant, -zin, zout, x.size, TensorRef(x), TensorRef(y, out=True)]
        return [Call(kernel, (kernel,), args)]
