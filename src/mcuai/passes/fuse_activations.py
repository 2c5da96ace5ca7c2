"""Turn fused activations into the clamp range each kernel applies to its output.

For a quantized output with scale ``s`` and zero point ``z`` this follows TFLite's
``CalculateActivationRangeQuantized``: ``q(f) = z + round_half_away(f / s)`` (float32 division),
then NONE -> [qmin, qmax], RELU -> [max(qmin, q(0)), qmax], RELU6 -> [max(qmin, q(0)),
min(qmax, q(6))], RELU_N1_TO_1 -> [max(qmin, q(-1)), min(qmax, q(1))]. Float outputs keep the
real range. The activation itself stays in the attributes for reports (``conv2d+relu6``).

ONNX nodes (``numerics`` "onnxruntime", "onnxruntime-float", "onnxruntime-u8") round as
ONNX Runtime's QuantizeLinear does: ``q(f) = z + round_half_to_even(f / s)`` (float32
division). Relu/Clip followed by QuantizeLinear compute ``Q(clip(x))``; quantization is
monotonic, so that equals the quantized value clamped to ``[Q(lo), Q(hi)]`` -- with Q's own
rounding.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor
from mcuai.ops._common import Activation, Clamp


def _round_half_away(x: np.float32) -> int:
    return int(math.copysign(math.floor(abs(float(x)) + 0.5), float(x)))


def _round_half_even(x: np.float32) -> int:
    return int(np.rint(np.float64(x)))


def quantized_clamp(act: Activation, out: Tensor, half_even: bool = False) -> Clamp:
    """Integer clamp range of ``act`` on the quantized tensor ``out`` (``half_even``: ONNX
    Runtime's rounding of ``f / s``, else TFLite's half away from zero)."""
    assert out.quant is not None
    qmin, qmax = out.dtype.qmin, out.dtype.qmax
    s = np.float32(out.quant.scalar_scale())
    z = out.quant.scalar_zero_point()

    def q(f: float) -> int:
        r = np.float32(np.float32(f) / s)
        return z + (_round_half_even(r) if half_even else _round_half_away(r))

    lo_r, hi_r = act.real_range()
    lo = qmin if math.isinf(lo_r) else max(qmin, q(lo_r))
    hi = qmax if math.isinf(hi_r) else min(qmax, q(hi_r))
    return Clamp(float(lo), float(hi))


def run(graph: Graph) -> Graph:
    for n in graph.nodes:
        act = getattr(n.attrs, "act", None)
        if not isinstance(act, Activation) or not hasattr(n.attrs, "clamp"):
            continue
        out = n.output
        if out.dtype.is_integer and out.quant is not None and not out.quant.per_axis:
            ort = n.numerics.startswith("onnxruntime")
            clamp = quantized_clamp(act, out, half_even=ort)
        else:
            lo, hi = act.real_range()
            clamp = Clamp(lo, hi)
        n.attrs = dataclasses.replace(n.attrs, clamp=clamp)
    return graph
