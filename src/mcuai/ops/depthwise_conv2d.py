"""DEPTHWISE_CONV_2D: per-channel 2-D convolution, filter ``[1, Kh, Kw, Cout]`` with
``Cout = Cin * multiplier``; output channel ``co`` reads input channel ``co // multiplier``.

``y[n,oy,ox,co] = b[co] + sum_{ky,kx} x[n, oy*sh + ky*dh - pad_top, ox*sw + kx*dw - pad_left,
co // m] * w[0, ky, kx, co]``.

MACC = Hout·Wout·Cout·Kh·Kw (per batch element).

Lowering (int8 activations, int8 symmetric per-tensor or per-channel weights, optional int32
bias; TFLite ``reference_integer_ops::DepthwiseConvPerChannel``, fixed-point requantization):
``mcu_dwconv2d_3x3_s8`` when the window is 3x3 with dilation 1 (bias folded with the input
offset and the filter re-packed into groups of four channels at generation time,
:mod:`mcuai.lower.repack_dw`), ``mcu_dwconv2d_s8`` otherwise. Both kernels have a Cortex-M
DSP-extension path behind ``#if`` (helpers in ``mcu_dsp_dw.h``).

TFLite uint8 layers (stored as int8 by ``passes/uint8_to_int8``; ``reference_ops::DepthwiseConv``,
uint8 overload): per-tensor weights only, one multiplier from the float32 product of the scales
(:func:`mcuai.lower.uint8.uint8_requant`), ``mcu_dwconv2d_asym_s8`` for the filter offset (the
kernels above when the weights' uint8 zero point is 128).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower import inplace
from mcuai.lower.context import dims4, per_channel_requant, unsupported, zp_of
from mcuai.lower.conv_common import (
    bias_values,
    check_weights,
    folded_bias,
    quantized_conv_params,
)
from mcuai.lower.program import Call, CArray, Raw, Struct, TensorRef, Value
from mcuai.lower.repack_dw import pack_dw3x3
from mcuai.lower.uint8 import asym_conv_call, from_uint8, uint8_requant
from mcuai.ops._common import Activation, Clamp, conv_out_size, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class DepthwiseConv2DAttrs:
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    multiplier: int
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class DepthwiseConv2D(WeightedOp):
    name = "depthwise_conv2d"
    attrs_type = DepthwiseConv2DAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: DepthwiseConv2DAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(x, 4, "input")
        require_rank(w, 4, "filter")
        n, h, wd, cin = x
        one, kh, kw, cout = w
        if one != 1:
            raise ValueError(f"depthwise filter must be [1,Kh,Kw,C], is {list(w)}")
        if a.multiplier <= 0 or cout != cin * a.multiplier:
            raise ValueError(
                f"filter has {cout} channels, input {cin} with multiplier {a.multiplier}"
            )
        b = node.opt_input(2)
        if b is not None and b.size != cout:
            raise ValueError(f"bias has {b.size} elements for {cout} output channels")
        ho = conv_out_size(h, kh, a.stride[0], a.dilation[0], a.pads[0] + a.pads[1])
        wo = conv_out_size(wd, kw, a.stride[1], a.dilation[1], a.pads[2] + a.pads[3])
        return [(n, ho, wo, cout)]

    def macc(self, node: Node) -> int:
        n, ho, wo, cout = node.output.shape
        _, kh, kw, _ = node.input(1).shape
        return n * ho * wo * cout * kh * kw

    def lower(self, node: Node) -> list[Call]:
        a: DepthwiseConv2DAttrs = node.attrs
        x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
        if not (x.dtype is DType.INT8 and y.dtype is DType.INT8):
            return super().lower(node)
        cout = y.shape[-1]
        if from_uint8(node):  # TFLite uint8 layer: per-tensor multiplier, filter offset
            mult, shift = uint8_requant(node, x, w, y, cout)
        else:
            check_weights(node, w, cout, axis=3)
            mult, shift = per_channel_requant(node, x, w, y, cout)
        assert w.data is not None and w.quant is not None
        bias = bias_values(node, b, cout, (DType.INT32,))
        if a.multiplier * x.shape[-1] != cout:
            raise unsupported(node, f"{cout} output channels for multiplier {a.multiplier}")
        params = quantized_conv_params(
            node, x, y, a.stride, (a.pads[0], a.pads[2]), a.dilation, a.multiplier, a.clamp
        )
        quant = Struct("mcu_quant_pc", [("multiplier", mult), ("shift", shift)])
        if not w.quant.symmetric:
            return [asym_conv_call("mcu_dwconv2d_asym_s8", node, params, quant)]
        if node.alias is not None:  # output over its input (memory/overlap.py)
            return [inplace.conv_call("mcu_dwconv2d_inplace_s8", node, params, quant)]
        _, kh, kw, _ = w.shape
        weights = CArray("weights", w.data.reshape(-1))
        if (kh, kw) == (3, 3) and a.dilation == (1, 1):
            sums = w.data.astype(np.int64).reshape(-1, cout).sum(axis=0)
            bias_arg: Value = folded_bias(bias, sums, -zp_of(node, x))
            weights = CArray("weights", pack_dw3x3(w.data), "3x3 taps in groups of 4 channels")
            kernel = "mcu_dwconv2d_3x3_s8"
        else:
            bias_arg = Raw("NULL") if bias is None else CArray("bias", bias.astype(np.int32))
            kernel = "mcu_dwconv2d_s8"
        args: list[Value] = [
            params,
            quant,
            dims4(x),
            TensorRef(x),
            dims4(w),
            weights,
            bias_arg,
            dims4(y),
            TensorRef(y, out=True),
        ]
        return [Call(kernel, (kernel, "mcu_dsp_dw"), args)]
