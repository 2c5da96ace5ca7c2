"""Shared lowering of the data-movement family (concat, split, transpose, strided slice, pad,
reshape copies): everything becomes a strided byte copy (``mcu_copy``) or a padded copy
(``mcu_pad``), planned here so the kernels stay element-type agnostic.

A copy is described as a loop nest over ``count[d]`` (outermost first) with a byte stride on
each side per loop; the innermost iteration copies ``run`` contiguous bytes. :func:`copy_plan`
drops trivial loops, merges loops that walk memory contiguously on both sides and folds a
contiguous innermost loop into ``run``, so e.g. a concatenation along channels becomes one loop
of ``H*W`` runs of ``C_k`` bytes and a row-major copy a single ``memcpy``.

TFLite's reference kernels for these ops copy the stored integers unchanged whatever the input
and output quantization parameters are (checked against LiteRT: TRANSPOSE, STRIDED_SLICE, SPLIT,
PAD, RESIZE_NEAREST_NEIGHBOR accept different parameters and copy raw values); only
CONCATENATION checks them (see :mod:`mcuai.ops.concat`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import unsupported
from mcuai.lower.program import Call, CArray, Struct, TensorRef

#: Loop dimensions the kernels accept after merging (``MCU_COPY_MAX_RANK``/``MCU_PAD_MAX_RANK``).
MAX_RANK = 6
#: Largest tensor the int32 byte offsets of the kernels handle with margin (stride*count sums).
MAX_BYTES = 1 << 30


def contiguous_strides(shape: Sequence[int]) -> list[int]:
    """Row-major strides in elements."""
    out = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        out[d] = out[d + 1] * shape[d + 1]
    return out


def elem_size(node: Node, *tensors: Tensor) -> int:
    """Bytes per element, the same for every tensor (the kernels move bytes)."""
    sizes = {t.dtype.itemsize for t in tensors}
    types = {t.dtype for t in tensors}
    if len(types) != 1:
        names = ", ".join(sorted(t.value for t in types))
        raise unsupported(node, f"input and output types differ ({names})")
    if DType.BOOL in types:
        return 1
    return sizes.pop()


def check_size(node: Node, t: Tensor) -> None:
    """Byte offsets are int32 in the kernels."""
    if t.nbytes > MAX_BYTES:
        raise unsupported(node, f"tensor '{t.name}' is larger than 1 GiB")


@dataclass(frozen=True)
class CopyPlan:
    count: tuple[int, ...]  # loop counts, outermost first (at least one loop)
    in_stride: tuple[int, ...]  # bytes, may be negative
    out_stride: tuple[int, ...]  # bytes
    run: int  # contiguous bytes per innermost iteration
    in_offset: int  # bytes
    out_offset: int  # bytes


def copy_plan(
    count: Sequence[int],
    in_stride: Sequence[int],
    out_stride: Sequence[int],
    elem: int,
    in_offset: int = 0,
    out_offset: int = 0,
) -> CopyPlan | None:
    """Simplified loop nest for ``out[o + sum i_d*os_d] = in[i + sum i_d*is_d]`` with strides
    and offsets in elements; ``None`` when nothing is copied (a zero count)."""
    if any(c == 0 for c in count):
        return None
    loops = [(c, s * elem, t * elem) for c, s, t in zip(count, in_stride, out_stride, strict=True)]
    merged: list[tuple[int, int, int]] = []
    for c, s, t in loops:
        if c == 1:
            continue
        if merged:
            pc, ps, pt = merged[-1]
            if ps == s * c and pt == t * c:
                merged[-1] = (pc * c, s, t)
                continue
        merged.append((c, s, t))
    run = elem
    if merged and merged[-1][1] == elem and merged[-1][2] == elem:
        run = merged.pop()[0] * elem
    if not merged:
        merged = [(1, 0, 0)]
    return CopyPlan(
        tuple(c for c, _, _ in merged),
        tuple(s for _, s, _ in merged),
        tuple(t for _, _, t in merged),
        run,
        in_offset * elem,
        out_offset * elem,
    )


def _i32(hint: str, values: Sequence[int], comment: str) -> CArray:
    return CArray(hint, np.asarray(values, dtype=np.int32), comment)


def copy_call(node: Node, src: Tensor, dst: Tensor, plan: CopyPlan, what: str) -> Call:
    """One ``mcu_copy`` call executing ``plan`` from ``src`` into ``dst``."""
    if len(plan.count) > MAX_RANK:
        raise unsupported(
            node, f"{what} needs {len(plan.count)} loop dimensions (at most {MAX_RANK})"
        )
    params = Struct(
        "mcu_copy_params",
        [
            ("rank", len(plan.count)),
            ("run", plan.run),
            ("in_offset", plan.in_offset),
            ("out_offset", plan.out_offset),
            ("count", _i32("copy_count", plan.count, "copy loop counts, outermost first")),
            ("in_stride", _i32("copy_in_stride", plan.in_stride, "input byte strides")),
            ("out_stride", _i32("copy_out_stride", plan.out_stride, "output byte strides")),
        ],
    )
    comment = f"{what}: {len(plan.count)} loop(s) of {plan.run}-byte runs"
    return Call(
        "mcu_copy",
        ("mcu_copy",),
        [params, TensorRef(src), TensorRef(dst, out=True)],
        comment=comment,
    )


def pad_call(
    node: Node,
    src: Tensor,
    dst: Tensor,
    pads: Sequence[tuple[int, int]],
    value: np.ndarray,
) -> Call:
    """One ``mcu_pad`` call: ``dst`` = ``src`` with ``pads[d] = (before, after)`` elements of
    ``value`` (a one-element array of the tensor's type) around it."""
    elem = elem_size(node, src, dst)
    dims = list(zip(src.shape, dst.shape, (b for b, _ in pads), strict=True))
    # merge from the innermost axis outwards: an axis merges into an unpadded inner axis
    merged: list[tuple[int, int, int]] = []  # (in, out, before), innermost first
    for i, o, b in reversed(dims):
        if merged and merged[-1][0] == merged[-1][1]:
            ii, oo, bb = merged[-1]
            merged[-1] = (i * ii, o * oo, b * oo + bb)
            continue
        if i == o == 1:
            continue
        merged.append((i, o, b))
    if not merged:
        merged = [(1, 1, 0)]
    merged.reverse()
    if len(merged) > MAX_RANK:
        raise unsupported(node, f"padding needs {len(merged)} dimensions (at most {MAX_RANK})")
    params = Struct(
        "mcu_pad_params",
        [
            ("rank", len(merged)),
            ("elem_size", elem),
            ("value", CArray("pad_value", value.reshape(1), "pad value (stored type)")),
            ("in_dims", _i32("pad_in_dims", [m[0] for m in merged], "input dims (merged)")),
            ("out_dims", _i32("pad_out_dims", [m[1] for m in merged], "output dims (merged)")),
            ("before", _i32("pad_before", [m[2] for m in merged], "elements before, per dim")),
        ],
    )
    return Call("mcu_pad", ("mcu_pad",), [params, TensorRef(src), TensorRef(dst, out=True)])


def full_copy(node: Node, src: Tensor, dst: Tensor, what: str) -> list[Call]:
    """A row-major copy of the whole tensor (same bytes, maybe another shape)."""
    elem = elem_size(node, src, dst)
    check_size(node, src)
    plan = copy_plan([src.size], [1], [1], elem)
    return [] if plan is None else [copy_call(node, src, dst, plan, what)]
