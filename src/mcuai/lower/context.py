"""Helpers that op ``lower`` methods share: errors naming the node, quantization accessors,
parameter structs for dims, per-channel requantization tables."""

from __future__ import annotations

import numpy as np

from mcuai.errors import UnsupportedError
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.program import CArray, Raw, Struct, Value
from mcuai.quant.fixed_point import quantize_multiplier


def unsupported(node: Node, why: str) -> UnsupportedError:
    return UnsupportedError(f"layer '{node.origin}' ({node.op}): {why}")


def scale_of(node: Node, t: Tensor) -> float:
    if t.quant is None or t.quant.per_axis:
        raise unsupported(node, f"tensor '{t.name}' needs per-tensor quantization")
    return t.quant.scalar_scale()


def zp_of(node: Node, t: Tensor) -> int:
    if t.quant is None or t.quant.per_axis:
        raise unsupported(node, f"tensor '{t.name}' needs per-tensor quantization")
    return t.quant.scalar_zero_point()


def dims4(t: Tensor) -> Struct:
    """``mcu_dims`` {n, h, w, c} of a tensor of rank <= 4 (leading dims padded with 1)."""
    s = (1,) * (4 - t.rank) + t.shape if t.rank <= 4 else None
    if s is None:
        raise ValueError(f"tensor '{t.name}' has rank {t.rank} > 4")
    return Struct("mcu_dims", [("n", s[0]), ("h", s[1]), ("w", s[2]), ("c", s[3])])


def per_channel_requant(
    node: Node, x: Tensor, w: Tensor, y: Tensor, channels: int
) -> tuple[CArray, CArray]:
    """Multiplier and shift per output channel for ``acc * s_x * s_w[c] / s_y``.

    As TFLite's ``PopulateConvolutionQuantizationParams``: the effective scale is computed in
    double from the float32 scales, ``(double)s_x * (double)s_w[c] / (double)s_y``, then
    ``QuantizeMultiplier``. Per-tensor weights give the same value for every channel.
    """
    assert w.quant is not None
    sx = float(np.float32(scale_of(node, x)))
    sy = float(np.float32(scale_of(node, y)))
    ws = w.quant.scale.reshape(-1).astype(np.float64)
    if ws.size == 1:
        ws = np.full(channels, ws[0])
    mult = np.empty(channels, np.int32)
    shift = np.empty(channels, np.int32)
    for c in range(channels):
        m, s = quantize_multiplier(sx * float(ws[c]) / sy)
        mult[c], shift[c] = m, s
    return (
        CArray("multiplier", mult, "per-channel requantization multiplier (Q31)"),
        CArray("shift", shift, "per-channel requantization shift (>0: left)"),
    )


def const_or_null(node: Node, t: Tensor | None, hint: str) -> Value:
    """A constant array for an optional constant input (bias), ``NULL`` when absent."""
    if t is None:
        return Raw("NULL")
    if t.data is None:
        raise unsupported(node, f"'{t.name}' must be a constant")
    return CArray(hint, t.data.reshape(-1))


def hw(pair: tuple[int, int]) -> Struct:
    """``mcu_hw`` {h, w}."""
    return Struct("mcu_hw", [("h", pair[0]), ("w", pair[1])])
