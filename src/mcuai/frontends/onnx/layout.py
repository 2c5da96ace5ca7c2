"""Layouts: how an IR tensor holds an ONNX value.

A layout is a permutation ``perm`` of the ONNX axes: the IR tensor's axis ``j`` is the ONNX
value's axis ``perm[j]`` (``ir_shape[j] = onnx_shape[perm[j]]``). The identity keeps the model's
own layout; ``NHWC = (0, 2, 3, 1)`` holds an NCHW value channel-last, as every MCU kernel wants.
The importer converts NCHW to NHWC once, where a spatial op needs it, and keeps that layout
through layout-agnostic ops; an ONNX Transpose only relabels the layout (no data moves).
"""

from __future__ import annotations

import math

import numpy as np

from mcuai.ir.tensor import QuantParams

Perm = tuple[int, ...]

NHWC: Perm = (0, 2, 3, 1)


def identity(rank: int) -> Perm:
    return tuple(range(rank))


def inverse(p: Perm) -> Perm:
    inv = [0] * len(p)
    for i, v in enumerate(p):
        inv[v] = i
    return tuple(inv)


def compose(outer: Perm, inner: Perm) -> Perm:
    """``c[i] = inner[outer[i]]``: the layout ``outer`` of a value that is itself ``inner``
    applied to another one (``value[i] = other[inner[i]]``)."""
    return tuple(inner[o] for o in outer)


def apply(shape: tuple[int, ...], perm: Perm) -> tuple[int, ...]:
    """IR shape of an ONNX shape held in layout ``perm``."""
    return tuple(shape[p] for p in perm)


def unapply(ir_shape: tuple[int, ...], perm: Perm) -> tuple[int, ...]:
    """ONNX shape of an IR shape held in layout ``perm``."""
    out = [0] * len(perm)
    for j, p in enumerate(perm):
        out[p] = ir_shape[j]
    return tuple(out)


def transpose_between(have: Perm, want: Perm) -> Perm:
    """IR transpose permutation taking a tensor in layout ``have`` to layout ``want``."""
    return tuple(have.index(w) for w in want)


def is_memory_trivial(ir_shape: tuple[int, ...], perm: Perm) -> bool:
    """True when transposing by ``perm`` moves no data (only axes of size 1 move)."""
    moved = [p for p in perm if ir_shape[p] != 1]
    return moved == sorted(moved)


def tag(perm: Perm) -> str:
    """Short layout name for tensor names: ``onnx`` (identity), ``nhwc`` or ``perm0231``."""
    if perm == identity(len(perm)):
        return "onnx"
    if perm == NHWC:
        return "nhwc"
    return "perm" + "".join(str(p) for p in perm)


def map_quant(q: QuantParams | None, perm: Perm) -> QuantParams | None:
    """Quantization parameters of a value held in layout ``perm`` (per-axis axis moves)."""
    if q is None or not q.per_axis or q.axis is None:
        return q
    return QuantParams(q.scale, q.zero_point, perm.index(q.axis))


def transpose_data(data: np.ndarray, perm: Perm) -> np.ndarray:
    return np.asarray(np.transpose(data, perm), order="C") if data.ndim > 1 else data


def reshape_axis(old: tuple[int, ...], new: tuple[int, ...], axis: int) -> int | None:
    """The axis of ``new`` that holds exactly the elements of axis ``axis`` of ``old`` (for
    per-axis quantization through a reshape), or None."""
    before = math.prod(old[:axis])
    for k, d in enumerate(new):
        if d == old[axis] and math.prod(new[:k]) == before:
            return k
    return None


def drop_axes(perm: Perm, axes: tuple[int, ...]) -> Perm:
    """Layout of the result of removing ONNX ``axes`` from a value held in ``perm``."""
    kept = [p for p in perm if p not in axes]
    order = sorted(kept)
    return tuple(order.index(p) for p in kept)


def channel_last_for(perm: Perm | None, rank: int) -> Perm:
    """``perm`` when given, else the identity."""
    return perm if perm is not None and len(perm) == rank else identity(rank)
