"""Lowering helpers shared by the convolution family (conv2d, depthwise_conv2d,
fully_connected, transpose_conv).

Everything here runs at generation time (TFLM's "Prepare"): parameter structs, checks that name
the node, folded biases and the float64 requantization scales of FULLY_CONNECTED.

Two requantization rules appear in the family (LiteRT 2.3 ``BUILTIN_REF``, checked against it):

* fixed point (:func:`mcuai.lower.context.per_channel_requant`): CONV_2D, DEPTHWISE_CONV_2D,
  TRANSPOSE_CONV, and 16x8 CONV_2D (int64 accumulator: reduced 16-bit multiplier);
* float64: FULLY_CONNECTED int8 and 16x8 (``reference_integer_ops::FullyConnected`` and
  ``FullyConnectedPerChannel`` overloads that take the scales): ``round_half_away((double)acc *
  ((double)s_x * (double)s_w[c] / (double)s_y))``. The code generator has no ``double`` arrays,
  so :func:`f64_scales` stores each scale as the int64 holding its IEEE-754 bit pattern; the
  kernel reinterprets it through a union (exact).
"""

from __future__ import annotations

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import hw, scale_of, unsupported, zp_of
from mcuai.lower.program import CArray, Raw, Struct, Value
from mcuai.ops._common import Clamp


def clamp_of(node: Node, clamp: Clamp | None) -> tuple[int, int]:
    """The integer output clamp the fuse_activations pass computed."""
    if clamp is None:
        raise unsupported(node, "fused activation was not resolved to a clamp range")
    return int(clamp.lo), int(clamp.hi)


def check_weights(node: Node, w: Tensor, channels: int, axis: int) -> None:
    """Constant int8 symmetric weights, per-tensor or per-channel along ``axis``."""
    if w.data is None:
        raise unsupported(node, "the filter must be a constant")
    if w.dtype is not DType.INT8:
        raise unsupported(node, f"{w.dtype.value} weights (int8 expected)")
    q = w.quant
    if q is None:
        raise unsupported(node, "weights are not quantized")
    if not q.symmetric:
        raise unsupported(node, "int8 filter with non-zero zero points")
    if q.per_axis and (q.axis != axis or q.channels != channels):
        raise unsupported(
            node,
            f"weights quantized along axis {q.axis} with {q.channels} scales; "
            f"expected {channels} scales along axis {axis}",
        )


def bias_values(
    node: Node, b: Tensor | None, channels: int, allowed: tuple[DType, ...]
) -> np.ndarray | None:
    """The constant bias as an int64 vector (``None`` when absent)."""
    if b is None:
        return None
    if b.data is None:
        raise unsupported(node, f"bias '{b.name}' must be a constant")
    if b.dtype not in allowed:
        names = "/".join(d.value for d in allowed)
        raise unsupported(node, f"{b.dtype.value} bias ({names} expected)")
    v = b.data.reshape(-1).astype(np.int64)
    if v.size != channels:
        raise unsupported(node, f"bias has {v.size} elements for {channels} channels")
    return v


def wrap_i32(v: np.ndarray) -> np.ndarray:
    """Two's complement int32 wrap of int64 values (what an int32 accumulator holds)."""
    return (((v.astype(np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)).astype(np.int32)


def folded_bias(bias: np.ndarray | None, weight_sums: np.ndarray, input_offset: int) -> CArray:
    """``bias[c] + input_offset * sum(w[c])`` as int32 (wrapping like the reference's int32
    accumulator): the kernel then multiplies raw inputs, and a padding tap reads the input
    zero point (``-input_offset``), which contributes exactly nothing, as in the reference."""
    b = np.zeros_like(weight_sums, dtype=np.int64) if bias is None else bias.astype(np.int64)
    return CArray(
        "bias",
        wrap_i32(b + int(input_offset) * weight_sums.astype(np.int64)),
        "bias + input_offset * sum(weights), per output channel",
    )


def quantized_conv_params(
    node: Node,
    x: Tensor,
    y: Tensor,
    stride: tuple[int, int],
    pads: tuple[int, int],
    dilation: tuple[int, int],
    ch_mult: int,
    clamp: Clamp | None,
) -> Struct:
    """``mcu_conv_params`` for quantized activations (offsets from the zero points)."""
    lo, hi = clamp_of(node, clamp)
    return Struct(
        "mcu_conv_params",
        [
            ("input_offset", -zp_of(node, x)),
            ("output_offset", zp_of(node, y)),
            ("stride", hw(stride)),
            ("padding", hw(pads)),
            ("dilation", hw(dilation)),
            ("ch_mult", ch_mult),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )


def dims_struct(n: int, h: int, w: int, c: int) -> Struct:
    """An explicit ``mcu_dims`` {n, h, w, c}."""
    return Struct("mcu_dims", [("n", n), ("h", h), ("w", w), ("c", c)])


def f64_scales(node: Node, x: Tensor, w: Tensor, y: Tensor, channels: int) -> tuple[CArray, int]:
    """The float64 effective scales of FULLY_CONNECTED and the channel step (0: per-tensor).

    ``(double)s_x * (double)s_w[c] / (double)s_y`` from the float32 scales, evaluated left to
    right in double as LiteRT's reference FullyConnected does (IEEE double arithmetic in Python
    is the same). Stored as IEEE-754 bit patterns in int64 (see the module docstring).
    """
    assert w.quant is not None
    sx = float(np.float32(scale_of(node, x)))
    sy = float(np.float32(scale_of(node, y)))
    ws = [float(v) for v in w.quant.scale.reshape(-1).astype(np.float64)]
    if len(ws) not in (1, channels):
        raise unsupported(node, f"{len(ws)} weight scales for {channels} output channels")
    eff = np.array([sx * s / sy for s in ws], dtype=np.float64)
    if not np.all(np.isfinite(eff)) or np.any(eff < 0):
        raise unsupported(node, "invalid requantization scale (check the tensor scales)")
    bits = eff.view(np.int64).copy()
    return (
        CArray("scale", bits, "float64 requantization scale s_x*s_w/s_y, IEEE-754 bits"),
        0 if len(ws) == 1 else 1,
    )


def null() -> Value:
    return Raw("NULL")
