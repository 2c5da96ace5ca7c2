"""TRANSPOSE_CONV: the gradient of CONV_2D (a.k.a. deconvolution), NHWC, filter
``[Cout, Kh, Kw, Cin]``.

Every input pixel scatters ``x[n,iy,ix,ci] * w[co,ky,kx,ci]`` to output position
``(iy*sh + ky - pad_top, ix*sw + kx - pad_left)``; positions outside the output are dropped;
bias is added afterwards. The output size is stated by the model (``out_hw``); ``pads`` are the
SAME/VALID paddings TFLite derives from that output size.

MACC = Hin·Win·Cin·Kh·Kw·Cout (per batch element).

Lowering (int8 activations, int8 symmetric per-tensor/per-channel weights along axis 0,
optional int32 bias; TFLite ``reference_integer_ops::TransposeConv``, fixed-point
requantization, fused activation applied): ``mcu_tconv2d_s8``, which gathers each output
element's products instead of scattering into an int32 image of the output (same integers, no
scratch memory).

TFLite uint8 layers (stored as int8 by ``passes/uint8_to_int8``; ``reference_ops::TransposeConv``,
uint8 overload): per-tensor weights only, one multiplier from the float32 product of the scales,
``mcu_tconv2d_asym_s8`` for the filter offset (``mcu_tconv2d_s8`` when the weights' uint8 zero
point is 128).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import dims4, per_channel_requant
from mcuai.lower.conv_common import bias_values, check_weights, null, quantized_conv_params
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.lower.uint8 import asym_conv_call, from_uint8, uint8_requant
from mcuai.ops._common import Activation, Clamp, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class TransposeConvAttrs:
    stride: tuple[int, int]
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    out_hw: tuple[int, int]
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class TransposeConv(WeightedOp):
    name = "transpose_conv"
    attrs_type = TransposeConvAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: TransposeConvAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(x, 4, "input")
        require_rank(w, 4, "filter")
        if w[3] != x[3]:
            raise ValueError(f"filter has {w[3]} input channels, input {x[3]}")
        if min(a.out_hw) <= 0 or min(a.stride) <= 0:
            raise ValueError("output size and strides must be positive")
        b = node.opt_input(2)
        if b is not None and b.size != w[0]:
            raise ValueError(f"bias has {b.size} elements for {w[0]} output channels")
        return [(x[0], a.out_hw[0], a.out_hw[1], w[0])]

    def macc(self, node: Node) -> int:
        n, h, w, cin = node.input(0).shape
        cout, kh, kw, _ = node.input(1).shape
        return n * h * w * cin * kh * kw * cout

    def lower(self, node: Node) -> list[Call]:
        a: TransposeConvAttrs = node.attrs
        x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
        if not (x.dtype is DType.INT8 and y.dtype is DType.INT8):
            return super().lower(node)
        cout = y.shape[-1]
        if from_uint8(node):  # TFLite uint8 layer: per-tensor multiplier, filter offset
            mult, shift = uint8_requant(node, x, w, y, cout)
        else:
            check_weights(node, w, cout, axis=0)
            mult, shift = per_channel_requant(node, x, w, y, cout)
        assert w.data is not None and w.quant is not None
        bias = bias_values(node, b, cout, (DType.INT32,))
        params = quantized_conv_params(
            node, x, y, a.stride, (a.pads[0], a.pads[2]), (1, 1), 1, a.clamp
        )
        quant = Struct("mcu_quant_pc", [("multiplier", mult), ("shift", shift)])
        if not w.quant.symmetric:
            return [asym_conv_call("mcu_tconv2d_asym_s8", node, params, quant)]
        args: list[Value] = [
            params,
            quant,
            dims4(x),
            TensorRef(x),
            dims4(w),
            CArray("weights", w.data.reshape(-1)),
            null() if bias is None else CArray("bias", bias.astype(np.int32)),
            dims4(y),
            TensorRef(y, out=True),
        ]
        return [Call("mcu_tconv2d_s8", ("mcu_tconv2d_s8",), args)]
