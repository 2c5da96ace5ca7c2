"""MEAN over ``axes`` (reduce-mean), optionally keeping reduced dims as 1.
MACC = number of input elements (one accumulation each).

Lowering (int8/int16): ``mcu_mean_s8`` / ``mcu_mean_s16``, TFLite's
``reference_ops::QuantizedMeanOrSum`` (the path LiteRT's reference MEAN takes for every axis set
and every pair of scales): wrapping int32 sum, ``- zp_in * N``, one
``MultiplyByQuantizedMultiplier`` whose multiplier folds in ``1/N``, ``+ zp_out``, clamp to the
type range (no fused activation). The multiplier and shift are prepared here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import scale_of, unsupported, zp_of
from mcuai.lower.program import Call, Struct, TensorRef, Value
from mcuai.ops.base import OpDef
from mcuai.quant.fixed_point import quantize_multiplier


@dataclass(frozen=True)
class MeanAttrs:
    axes: tuple[int, ...]  # normalised, sorted, unique
    keep_dims: bool


class Mean(OpDef):
    name = "mean"
    attrs_type = MeanAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: MeanAttrs = node.attrs
        x = node.input(0).shape
        if any(not 0 <= ax < len(x) for ax in a.axes):
            raise ValueError(f"axes {list(a.axes)} out of range for rank {len(x)}")
        if a.keep_dims:
            return [tuple(1 if i in a.axes else d for i, d in enumerate(x))]
        return [tuple(d for i, d in enumerate(x) if i not in a.axes)]

    def macc(self, node: Node) -> int:
        return node.input(0).size

    def lower(self, node: Node) -> list[Call]:
        a: MeanAttrs = node.attrs
        x, y = node.input(0), node.output
        sfx = {DType.INT8: "s8", DType.INT16: "s16"}.get(y.dtype)
        if sfx is None:
            return super().lower(node)
        if x.dtype is not y.dtype:
            raise unsupported(node, f"{x.dtype.value} input with a {y.dtype.value} output")
        if y.dtype is DType.INT16 and (zp_of(node, x) != 0 or zp_of(node, y) != 0):
            raise unsupported(node, "int16 MEAN needs zero points 0 (as TFLite requires)")
        if x.size == 0:
            raise unsupported(node, "empty input")
        try:
            walk = reduce_walk(x.shape, a.axes)
        except ValueError as e:
            raise unsupported(node, str(e)) from None
        n = math.prod(x.shape[ax] for ax in a.axes)
        mult, shift, offset = mean_requant(scale_of(node, x), scale_of(node, y), zp_of(node, x), n)
        quant = Struct(
            "mcu_mean_quant",
            [
                ("sum_offset", offset),
                ("multiplier", mult),
                ("shift", shift),
                ("output_offset", zp_of(node, y)),
            ],
        )
        kernel = f"mcu_mean_{sfx}"
        files = (kernel,) if sfx == "s8" else (kernel, "mcu_mean_s8")
        args: list[Value] = [quant, walk, TensorRef(x), TensorRef(y, out=True)]
        return [Call(kernel, files, args)]


def mean_requant(s_in: float, s_out: float, zp_in: int, n: int) -> tuple[int, int, int]:
    """(multiplier, shift, sum_offset) of TFLite's ``QuantizedMeanOrSum`` for ``n`` reduced
    elements: ``QuantizeMultiplier((double)s_in / (double)s_out)``, then with
    ``k = min(floor(log2 n), 32, 31 + shift)``: ``multiplier = (multiplier << k) // n`` (int64),
    ``shift -= k``; ``sum_offset = -zp_in * n`` wrapped to int32."""
    mult, shift = quantize_multiplier(float(np.float32(s_in)) / float(np.float32(s_out)))
    if n > 0:
        k = min(n.bit_length() - 1, 32, 31 + shift)
        mult = (mult << k) // n
        shift -= k
    offset = (-zp_in * n + (1 << 31)) % (1 << 32) - (1 << 31)
    return int(mult), int(shift), int(offset)


def reduce_walk(shape: tuple[int, ...], axes: tuple[int, ...]) -> Struct:
    """``mcu_reduce_walk``: kept and reduced dimension groups with their input strides.

    Size-1 dimensions are dropped and adjacent dimensions of the same kind merged (their data
    is contiguous); at most three groups of each kind are supported (any input of rank <= 6).
    """
    strides = [0] * len(shape)
    acc = 1
    for i in range(len(shape) - 1, -1, -1):
        strides[i] = acc
        acc *= shape[i]
    groups: list[tuple[bool, int, int]] = []  # (reduced, size, stride of the innermost dim)
    for i, d in enumerate(shape):
        if d == 1:
            continue
        reduced = i in axes
        if groups and groups[-1][0] == reduced:
            groups[-1] = (reduced, groups[-1][1] * d, strides[i])
        else:
            groups.append((reduced, d, strides[i]))
    kept = [(d, s) for r, d, s in groups if not r]
    red = [(d, s) for r, d, s in groups if r]
    if len(kept) > 3 or len(red) > 3:
        raise ValueError(f"reducing axes {list(axes)} of {list(shape)} needs too many loops")
    kept = [(1, 0)] * (3 - len(kept)) + kept
    red = [(1, 0)] * (3 - len(red)) + red
    fields: list[tuple[str, Value]] = [(f"k{i}", d) for i, (d, _) in enumerate(kept)]
    fields += [(f"ks{i}", s) for i, (_, s) in enumerate(kept)]
    fields += [(f"r{i}", d) for i, (d, _) in enumerate(red)]
    fields += [(f"rs{i}", s) for i, (_, s) in enumerate(red)]
    return Struct("mcu_reduce_walk", fields)
