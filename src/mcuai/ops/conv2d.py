"""CONV_2D: 2-D convolution over NHWC data, filter OHWI ``[Cout, Kh, Kw, Cin/groups]``.

``y[n,oy,ox,co] = b[co] + sum_{ky,kx,ci} x[n, oy*sh + ky*dh - pad_top, ox*sw + kx*dw - pad_left,
g*Cin_g + ci] * w[co, ky, kx, ci]`` with ``g = co // (Cout/groups)``; out-of-image taps read the
input zero point (i.e. contribute 0 in real terms).

MACC = Hout·Wout·Cout·Kh·Kw·Cin/groups (per batch element).

Lowering (TFLite ``reference_integer_ops::ConvPerChannel``, fixed-point requantization):

* int8 activations, int8 symmetric per-tensor/per-channel weights, optional int32 bias:
  ``mcu_conv2d_1x1_s8`` for a 1x1 window, stride 1, no padding, one group (bias folded with the
  input offset at generation time); ``mcu_conv2d_s8`` otherwise;
* TFLite uint8 layers (stored as int8 by ``passes/uint8_to_int8``; ``reference_ops::Conv``, uint8
  overload): per-tensor weights only, one multiplier from the float32 product of the scales
  (:func:`mcuai.lower.uint8.uint8_requant`); ``mcu_conv2d_asym_s8`` applies the filter offset
  (the int8 kernels above when the weights' uint8 zero point is 128);
* both int8 kernels take a scratch area for the im2col "columns" of their Cortex-M DSP path
  (:mod:`mcuai.lower.repack`, ``kernels/mcu_dsp_mm.h``); the generated code is the same for every
  target, so the scratch is reserved on the host too (``2 * (8*(K//4) + 4*(K%4))`` bytes, K the
  filter row length: a few KiB at most for the MLPerf Tiny models);
* 16x8 (int16 activations, int8 weights, int64 or int32 bias): ``mcu_conv2d_s16`` (int64
  accumulator and TFLite's int64 requantization for an int64 bias; int32 accumulator and the
  usual rule for an int32 bias, as LiteRT runs a model whose options say int32 bias).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower import inplace
from mcuai.lower.context import const_or_null, dims4, hw, per_channel_requant, unsupported, zp_of
from mcuai.lower.conv_common import bias_values, check_weights, folded_bias, quantized_conv_params
from mcuai.lower.program import Call, CArray, Raw, Scratch, Struct, TensorRef, Value
from mcuai.lower.repack import cols_bytes
from mcuai.lower.uint8 import asym_conv_call, from_uint8, uint8_requant
from mcuai.ops._common import Activation, Clamp, conv_out_size, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class Conv2DAttrs:
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class Conv2D(WeightedOp):
    name = "conv2d"
    attrs_type = Conv2DAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: Conv2DAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(x, 4, "input")
        require_rank(w, 4, "filter")
        n, h, wd, cin = x
        cout, kh, kw, cin_g = w
        if cin_g <= 0 or cin % cin_g:
            raise ValueError(f"input channels {cin} not a multiple of filter channels {cin_g}")
        groups = cin // cin_g
        if cout % groups:
            raise ValueError(f"output channels {cout} not a multiple of {groups} groups")
        b = node.opt_input(2)
        if b is not None and b.size != cout:
            raise ValueError(f"bias has {b.size} elements for {cout} output channels")
        ho = conv_out_size(h, kh, a.stride[0], a.dilation[0], a.pads[0] + a.pads[1])
        wo = conv_out_size(wd, kw, a.stride[1], a.dilation[1], a.pads[2] + a.pads[3])
        return [(n, ho, wo, cout)]

    def macc(self, node: Node) -> int:
        n, ho, wo, cout = node.output.shape
        _, kh, kw, cin_g = node.input(1).shape
        return n * ho * wo * cout * kh * kw * cin_g

    def lower(self, node: Node) -> list[Call]:
        a: Conv2DAttrs = node.attrs
        x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
        if w.data is None:
            raise unsupported(node, "the filter must be a constant")
        bias = const_or_null(node, b, "bias")
        if x.dtype is DType.INT8 and w.dtype is DType.INT8 and y.dtype is DType.INT8:
            if from_uint8(node):  # TFLite uint8 layer: per-tensor multiplier, filter offset
                mult, shift = uint8_requant(node, x, w, y, y.shape[-1])
            elif w.quant is None or not w.quant.symmetric:
                raise unsupported(node, "int8 filter with non-zero zero points")
            else:
                mult, shift = per_channel_requant(node, x, w, y, y.shape[-1])
            if b is not None and b.dtype is not DType.INT32:
                raise unsupported(node, f"{b.dtype.value} bias with int8 activations")
            assert a.clamp is not None and w.quant is not None
            params = Struct(
                "mcu_conv_params",
                [
                    ("input_offset", -zp_of(node, x)),
                    ("output_offset", zp_of(node, y)),
                    ("stride", hw(a.stride)),
                    ("padding", hw((a.pads[0], a.pads[2]))),
                    ("dilation", hw(a.dilation)),
                    ("ch_mult", 1),
                    ("act_min", int(a.clamp.lo)),
                    ("act_max", int(a.clamp.hi)),
                ],
            )
            quant = Struct("mcu_quant_pc", [("multiplier", mult), ("shift", shift)])
            _, kh, kw, cin_g = w.shape
            if not w.quant.symmetric:
                return [asym_conv_call("mcu_conv2d_asym_s8", node, params, quant)]
            if node.alias is not None:  # output over its input (memory/overlap.py)
                return [inplace.conv_call("mcu_conv2d_inplace_s8", node, params, quant)]
            if (
                (kh, kw) == (1, 1)
                and a.stride == (1, 1)
                and not any(a.pads)
                and cin_g == x.shape[-1]
            ):
                return [self._lower_1x1(node, params, quant)]
            args: list[Value] = [
                params,
                quant,
                dims4(x),
                TensorRef(x),
                dims4(w),
                CArray("weights", w.data.reshape(-1)),
                bias,
                dims4(y),
                TensorRef(y, out=True),
            ]
            groups = x.shape[-1] // cin_g
            scratch = cols_bytes(kh * kw * cin_g, 2) if groups == 1 else 0
            args.append(Scratch() if scratch else Raw("NULL"))
            files = ("mcu_conv2d_s8", "mcu_dsp_mm")
            return [Call("mcu_conv2d_s8", files, args, scratch_bytes=scratch)]
        if x.dtype is DType.INT16 and w.dtype is DType.INT8 and y.dtype is DType.INT16:
            return [self._lower_16x8(node)]
        return super().lower(node)

    @staticmethod
    def _lower_1x1(node: Node, params: Struct, quant: Struct) -> Call:
        """Pointwise variant: the bias is folded with ``input_offset * sum(w)``."""
        x, w, y = node.input(0), node.input(1), node.output
        assert w.data is not None
        cout = y.shape[-1]
        bias = bias_values(node, node.opt_input(2), cout, (DType.INT32,))
        sums = w.data.astype(np.int64).reshape(cout, -1).sum(axis=1)
        args: list[Value] = [
            params,
            quant,
            dims4(x),
            TensorRef(x),
            dims4(w),
            CArray("weights", w.data.reshape(-1)),
            folded_bias(bias, sums, -zp_of(node, x)),
            dims4(y),
            TensorRef(y, out=True),
            Scratch(),
        ]
        files = ("mcu_conv2d_1x1_s8", "mcu_dsp_mm")
        scratch = cols_bytes(x.shape[-1], 2)
        return Call("mcu_conv2d_1x1_s8", files, args, scratch_bytes=scratch)

    @staticmethod
    def _lower_16x8(node: Node) -> Call:
        """int16 activations, int8 weights: ``mcu_conv2d_s16``."""
        a: Conv2DAttrs = node.attrs
        x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
        cout = y.shape[-1]
        check_weights(node, w, cout, axis=0)
        assert w.data is not None
        bias = bias_values(node, b, cout, (DType.INT64, DType.INT32))
        acc32 = b is not None and b.dtype is DType.INT32
        mult, shift = per_channel_requant(node, x, w, y, cout)
        if not acc32 and int(shift.data.max(initial=0)) >= 8:
            raise unsupported(node, "requantization scale >= 128 (the int64 rule needs < 128)")
        params = quantized_conv_params(
            node, x, y, a.stride, (a.pads[0], a.pads[2]), a.dilation, 1, a.clamp
        )
        quant = Struct(
            "mcu_quant_s16", [("multiplier", mult), ("shift", shift), ("acc32", int(acc32))]
        )
        args: list[Value] = [
            params,
            quant,
            dims4(x),
            TensorRef(x),
            dims4(w),
            CArray("weights", w.data.reshape(-1)),
            Raw("NULL") if bias is None else CArray("bias", bias),
            dims4(y),
            TensorRef(y, out=True),
        ]
        return Call("mcu_conv2d_s16", ("mcu_conv2d_s16",), args)
