"""FULLY_CONNECTED: ``y[b, o] = bias[o] + sum_i x[b, i] * w[o, i]`` with weights ``[Nout, Nin]``.

The input is viewed as ``[batch, Nin]`` with ``batch = size(x) / Nin``. With ``keep_num_dims`` the
output keeps the input's leading dimensions (``x.shape[:-1] + [Nout]``), else it is
``[batch, Nout]``.

MACC = batch·Nout·Nin.

Lowering. LiteRT's reference FULLY_CONNECTED requantizes in float64 (not with the fixed-point
multiplier of the other conv ops): ``round_half_away((double)acc * ((double)s_x * (double)s_w[o]
/ (double)s_y))``, for per-tensor and per-channel weights alike (checked bit-exact, ties
included). Kernels:

* int8 activations, int8 weights (per-tensor with any zero point, or per-channel symmetric along
  axis 0), optional int32 bias: ``mcu_fc_s8`` (input/weight offsets folded into the bias at
  generation time; the float64 rule evaluated exactly in integers, ``mcu_fc_requantize``; no
  scratch: the Cortex-M DSP path splits the input words in registers); TFLite uint8
  layers too (stored as int8 by ``passes/uint8_to_int8``: their
  reference, ``reference_ops::FullyConnected`` for uint8, uses the same float64 rule; weights
  per tensor, with their zero point as weight offset);
* 16x8 (int16 activations with zero point 0, int8 symmetric weights, int64 or int32 bias):
  ``mcu_fc_s16``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import unsupported, zp_of
from mcuai.lower.conv_common import (
    bias_values,
    clamp_of,
    dims_struct,
    f64_scales,
    null,
    wrap_i32,
)
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.lower.uint8 import check_per_tensor_weights, from_uint8
from mcuai.ops._common import Activation, Clamp, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class FullyConnectedAttrs:
    keep_num_dims: bool = False
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class FullyConnected(WeightedOp):
    name = "fully_connected"
    attrs_type = FullyConnectedAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: FullyConnectedAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(w, 2, "weights")
        nout, nin = w
        size = math.prod(x)
        if nin <= 0 or size % nin:
            raise ValueError(f"input of {size} elements is not a multiple of {nin} features")
        b = node.opt_input(2)
        if b is not None and b.size != nout:
            raise ValueError(f"bias has {b.size} elements for {nout} outputs")
        if a.keep_num_dims:
            if not x or x[-1] != nin:
                raise ValueError(f"keep_num_dims needs last input dim {nin}, input {list(x)}")
            return [(*x[:-1], nout)]
        return [(size // nin, nout)]

    def macc(self, node: Node) -> int:
        nout, nin = node.input(1).shape
        return (node.input(0).size // nin) * nout * nin

    def lower(self, node: Node) -> list[Call]:
        a: FullyConnectedAttrs = node.attrs
        x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
        if w.dtype is not DType.INT8 or x.dtype not in (DType.INT8, DType.INT16):
            return super().lower(node)
        if y.dtype is not x.dtype:
            return super().lower(node)
        nout, nin = w.shape
        batch = x.size // nin
        wq = w.quant
        if w.data is None or wq is None:
            raise unsupported(node, "the weights must be a quantized constant")
        if from_uint8(node):
            check_per_tensor_weights(node, w)
        if wq.per_axis and (wq.axis != 0 or wq.channels != nout or not wq.symmetric):
            raise unsupported(
                node, "per-channel weights must be symmetric and quantized along axis 0"
            )
        zp_w = 0 if wq.per_axis else wq.scalar_zero_point()
        lo, hi = clamp_of(node, a.clamp)
        scales, step = f64_scales(node, x, w, y, nout)
        quant = Struct("mcu_fc_quant", [("scale_bits", scales), ("step", step)])
        params = Struct(
            "mcu_fc_params",
            [
                ("weights_offset", -zp_w),
                ("output_offset", zp_of(node, y)),
                ("act_min", lo),
                ("act_max", hi),
            ],
        )
        dims = (dims_struct(batch, 1, 1, nin), dims_struct(nout, 1, 1, nin))
        out_dims = dims_struct(batch, 1, 1, nout)
        weights = CArray("weights", w.data.reshape(-1))
        if x.dtype is DType.INT8:
            bias = bias_values(node, b, nout, (DType.INT32,))
            folded = _folded_fc_bias(bias, w, -zp_of(node, x), -zp_w)
            args: list[Value] = [
                params,
                quant,
                dims[0],
                TensorRef(x),
                dims[1],
                weights,
                folded,
                out_dims,
                TensorRef(y, out=True),
                null(),  # no scratch: the DSP path splits the input words in registers
            ]
            files = ("mcu_fc_s8", "mcu_dsp_mm")
            return [Call("mcu_fc_s8", files, args)]
        if zp_of(node, x) != 0 or zp_of(node, y) != 0 or zp_w != 0:
            raise unsupported(node, "16x8 FULLY_CONNECTED needs zero points 0 (as TFLite)")
        bias = bias_values(node, b, nout, (DType.INT64, DType.INT32))
        bias_arg: Value = null() if bias is None else CArray("bias", bias)
        args = [
            params,
            quant,
            dims[0],
            TensorRef(x),
            dims[1],
            weights,
            bias_arg,
            out_dims,
            TensorRef(y, out=True),
        ]
        return [Call("mcu_fc_s16", ("mcu_fc_s16", "mcu_fc_s8", "mcu_dsp_mm"), args)]


def _folded_fc_bias(
    bias: np.ndarray | None, w: Tensor, input_offset: int, weights_offset: int
) -> CArray:
    """``bias + xo * sum_i w[o, i] + Nin * xo * wo`` (int32, wrapping like the reference's
    accumulator): the kernel then computes ``bias + sum x * w + wo * sum x``."""
    assert w.data is not None
    nout, nin = w.shape
    sums = w.data.astype(np.int64).sum(axis=1)
    base = np.zeros(nout, np.int64) if bias is None else bias
    folded = base + input_offset * sums + nin * input_offset * weights_offset
    return CArray("bias", wrap_i32(folded), "bias + folded input/weight offsets, per output")
