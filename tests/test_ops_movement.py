"""Data-movement ops against LiteRT BUILTIN_REF, bit-exact for int8, int16 and float32:
CONCATENATION, PAD/PADV2, TRANSPOSE, STRIDED_SLICE, SPLIT/SPLIT_V, RESIZE_NEAREST_NEIGHBOR,
RESIZE_BILINEAR, ARG_MAX, and the combinations LiteRT rejects (reported as unsupported)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.errors import UnsupportedError
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.lower.movement import copy_plan
from mcuai.lower.program import Struct
from mcuai.ops.reshape import Reshape, ReshapeAttrs
from mcuai.ops.resize_bilinear import bilinear_tables_int
from mcuai.ops.resize_nearest import nearest_index
from mcuai.targets.harness import host_harness
from mcuai.targets.host import HostModel, build

pytestmark = [pytest.mark.cc, pytest.mark.ref]

DTYPES = ["int8", "int16", "float32"]
Q: dict[str, tuple[float, int]] = {"int8": (0.05, -3), "int16": (0.001, 0)}


def _q(dtype: str, q: tuple[float, int] | None = None) -> dict[str, Any]:
    if dtype not in Q:
        return {}
    scale, zp = q if q is not None else Q[dtype]
    return {"scale": scale, "zero_point": zp}


def _single(
    op: str,
    dtype: str,
    in_shapes: list[list[int]],
    out_shapes: list[list[int]],
    consts: list[np.ndarray] | None = None,
    opts: Any = None,
    in_q: tuple[float, int] | None = None,
    out_q: tuple[float, int] | None = None,
    const_first: bool = False,
    out_dtype: str | None = None,
    version: int = 1,
) -> bytes:
    """One op: activation inputs (then constant inputs, or constants first) -> outputs."""
    b = TFLiteBuilder()
    xs = [b.tensor(f"x{i}", sh, dtype, **_q(dtype, in_q)) for i, sh in enumerate(in_shapes)]
    cs = [b.const(f"c{i}", c) for i, c in enumerate(consts or [])]
    od = out_dtype or dtype
    ys = [
        b.tensor(f"y{i}", sh, od, **(_q(od, out_q) if od in Q or od == "float32" else {}))
        for i, sh in enumerate(out_shapes)
    ]
    b.op(op, cs + xs if const_first else xs + cs, ys, opts, version=version)
    return b.build(xs, ys)


#: (op, input shapes, output shapes, constant inputs, options, version); constants follow the
#: activation inputs, except for SPLIT (axis first).
Case = tuple[str, list[list[int]], list[list[int]], list[np.ndarray], Any, int]


def _parallel(dtype: str, cases: list[Case], out_dtype: str | None = None) -> bytes:
    """Independent ops side by side in one model (one compilation)."""
    b = TFLiteBuilder()
    od = out_dtype or dtype
    oq = _q(od) if od in Q or od == "float32" else {}
    xs_all, ys_all = [], []
    for k, (op, in_shapes, out_shapes, consts, opts, version) in enumerate(cases):
        xs = [b.tensor(f"x{k}_{i}", sh, dtype, **_q(dtype)) for i, sh in enumerate(in_shapes)]
        cs = [b.const(f"c{k}_{i}", c) for i, c in enumerate(consts)]
        ys = [b.tensor(f"y{k}_{i}", sh, od, **oq) for i, sh in enumerate(out_shapes)]
        b.op(op, cs + xs if op == "SPLIT" else xs + cs, ys, opts, version=version)
        xs_all += xs
        ys_all += ys
    return b.build(xs_all, ys_all)


def _tmp(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    return d


# ---- CONCATENATION ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*DTYPES, "int32"])
def test_concat_axes(tmp_path: Path, require_cc: str, dtype: str) -> None:
    base = [2, 3, 4, 5]
    cases: list[Case] = []
    for axis in [0, 1, 2, 3, -1]:
        ax = axis % 4
        sizes = [1, 3, 2]
        shapes = [[*base[:ax], n, *base[ax + 1 :]] for n in sizes]
        out = [*base[:ax], sum(sizes), *base[ax + 1 :]]
        opts = options("ConcatenationOptionsT", axis=axis)
        cases.append(("CONCATENATION", shapes, [out], [], opts, 1))
    check_against_litert(_parallel(dtype, cases), tmp_path, n=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_concat_rank2_and_constant_input(tmp_path: Path, require_cc: str, dtype: str) -> None:
    b = TFLiteBuilder()
    x = b.tensor("x", [3, 4], dtype, **_q(dtype))
    c = b.const("c", (np.arange(6).reshape(3, 2) - 3).astype(dtype), **_q(dtype))
    y = b.tensor("y", [3, 6], dtype, **_q(dtype))
    b.op("CONCATENATION", [c, x], [y], options("ConcatenationOptionsT", axis=1))
    check_against_litert(b.build([x], [y]), tmp_path)


def test_concat_int16_scales_differ_raw_copy(tmp_path: Path, require_cc: str) -> None:
    # LiteRT accepts int16 inputs with other scales (zero points 0) and copies raw values
    b = TFLiteBuilder()
    x0 = b.tensor("x0", [2, 3], "int16", scale=0.001, zero_point=0)
    x1 = b.tensor("x1", [2, 2], "int16", scale=0.004, zero_point=0)
    y = b.tensor("y", [2, 5], "int16", scale=0.002, zero_point=0)
    b.op("CONCATENATION", [x0, x1], [y], options("ConcatenationOptionsT", axis=1))
    check_against_litert(b.build([x0, x1], [y]), tmp_path)


def _rejected(tmp_path: Path, model: bytes, match: str) -> None:
    p = tmp_path / "m.tflite"
    p.write_bytes(model)
    with pytest.raises(UnsupportedError, match=match):
        generate(p, name="op")


@pytest.mark.parametrize("q1", [(0.1, -3), (0.05, 4)])
def test_concat_int8_requantization_rejected(tmp_path: Path, q1: tuple[float, int]) -> None:
    # LiteRT's Prepare requires int8 inputs quantized as the output: no rescaling exists
    b = TFLiteBuilder()
    x0 = b.tensor("x0", [1, 2], "int8", scale=0.05, zero_point=-3)
    x1 = b.tensor("x1", [1, 2], "int8", scale=q1[0], zero_point=q1[1])
    y = b.tensor("y", [1, 4], "int8", scale=0.05, zero_point=-3)
    b.op("CONCATENATION", [x0, x1], [y], options("ConcatenationOptionsT", axis=1))
    _rejected(tmp_path, b.build([x0, x1], [y]), "does not rescale")


def test_concat_activation_and_int16_zero_point_rejected(tmp_path: Path) -> None:
    opts = options("ConcatenationOptionsT", axis=1, fusedActivationFunction=1)
    m = _single("CONCATENATION", "int8", [[1, 2], [1, 2]], [[1, 4]], opts=opts)
    _rejected(_tmp(tmp_path, "a"), m, "fused activation relu")
    m = _single(
        "CONCATENATION",
        "int16",
        [[1, 2], [1, 2]],
        [[1, 4]],
        opts=options("ConcatenationOptionsT", axis=1),
        in_q=(0.001, 2),
        out_q=(0.001, 2),
    )
    _rejected(_tmp(tmp_path, "b"), m, "non-zero zero point")


# ---- PAD / PADV2 -----------------------------------------------------------------------------

PADS = [
    ([1, 5, 6, 3], [[0, 0], [1, 2], [2, 1], [0, 0]]),  # image style
    ([2, 3, 4, 5], [[1, 0], [0, 2], [1, 1], [2, 3]]),  # every axis, batch and channels too
    ([7], [[3, 2]]),
    ([4, 6], [[0, 0], [0, 5]]),
    ([2, 3, 2], [[0, 0], [0, 0], [0, 0]]),  # nothing to pad
    ([2, 1, 3, 2, 2], [[1, 1], [0, 0], [0, 1], [0, 0], [1, 0]]),  # rank 5 (LiteRT's maximum)
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad(tmp_path: Path, require_cc: str, dtype: str) -> None:
    cases: list[Case] = []
    for shape, pads in PADS:
        out = [d + p + q for d, (p, q) in zip(shape, pads, strict=True)]
        cases.append(("PAD", [shape], [out], [np.asarray(pads, np.int32)], None, 1))
    check_against_litert(_parallel(dtype, cases), tmp_path, n=3)


def test_pad_int8_quantization_differs_raw_copy(tmp_path: Path, require_cc: str) -> None:
    # LiteRT copies the stored values and fills with the *output* zero point
    pads = np.asarray([[0, 0], [2, 1], [1, 1], [0, 0]], np.int32)
    m = _single(
        "PAD", "int8", [[1, 3, 3, 2]], [[1, 6, 5, 2]], [pads], in_q=(0.1, 5), out_q=(0.2, -7)
    )
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("dtype", DTYPES)
def test_padv2(tmp_path: Path, require_cc: str, dtype: str) -> None:
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4, 3, 2], dtype, **_q(dtype))
    pads = b.const("p", np.asarray([[0, 0], [1, 2], [3, 0], [0, 1]], np.int64))
    v = np.asarray([-0.75 if dtype == "float32" else -100], dtype)
    c = b.const("v", v, **_q(dtype))
    y = b.tensor("y", [1, 7, 6, 3], dtype, **_q(dtype))
    b.op("PADV2", [x, pads, c], [y])
    check_against_litert(b.build([x], [y]), tmp_path)


# ---- TRANSPOSE -------------------------------------------------------------------------------

PERMS = [
    ([3, 5], [1, 0]),
    ([2, 3, 4], [0, 2, 1]),
    ([2, 3, 4, 5], [0, 3, 1, 2]),  # NHWC -> NCHW
    ([2, 3, 4, 5], [0, 2, 3, 1]),  # NCHW -> NHWC
    ([2, 3, 4, 5], [3, 2, 1, 0]),
    ([1, 3, 1, 5], [2, 0, 3, 1]),  # only size-1 axes move: a plain copy
    ([2, 3, 2, 2, 3], [4, 1, 3, 0, 2]),
    ([2, 1, 2, 3, 2, 2], [5, 4, 3, 2, 1, 0]),
]


@pytest.mark.parametrize("dtype", [*DTYPES, "int32"])
def test_transpose(tmp_path: Path, require_cc: str, dtype: str) -> None:
    cases: list[Case] = [
        ("TRANSPOSE", [shape], [[shape[p] for p in perm]], [np.asarray(perm, np.int32)], None, 1)
        for shape, perm in PERMS
    ]
    check_against_litert(_parallel(dtype, cases), tmp_path, n=3)


def test_transpose_int8_quantization_differs_raw_copy(tmp_path: Path, require_cc: str) -> None:
    perm = np.asarray([0, 2, 1], np.int32)
    m = _single("TRANSPOSE", "int8", [[2, 3, 4]], [[2, 4, 3]], [perm], out_q=(0.3, 9))
    check_against_litert(m, tmp_path)


# ---- STRIDED_SLICE ---------------------------------------------------------------------------

SLICES: list[tuple[list[int], list[int], list[int], list[int], dict[str, int], list[int]]] = [
    # shape, begin, end, strides, masks, output shape
    ([6, 7], [1, 2], [5, 7], [1, 2], {}, [4, 3]),
    ([6, 7], [-1, 0], [0, 7], [-1, 3], {}, [5, 3]),  # reversed rows
    ([6, 7], [0, -1], [6, -8], [2, -2], {}, [3, 4]),
    ([2, 5, 6, 3], [0, 1, 0, 0], [2, 5, 6, 3], [1, 2, 3, 1], {}, [2, 2, 2, 3]),
    (
        [2, 5, 6, 3],
        [1, 0, 2, 1],
        [0, 0, 5, 0],
        [1, 1, 1, 1],
        {"beginMask": 2, "endMask": 11},
        [1, 5, 3, 2],
    ),
    ([2, 5, 6, 3], [1, 2, 0, 0], [2, 3, 6, 3], [1, 1, 1, 1], {"shrinkAxisMask": 3}, [6, 3]),
    ([2, 5, 6, 3], [0, 0, 0, 2], [2, 5, 6, 3], [1, 1, 1, 1], {"shrinkAxisMask": 8}, [2, 5, 6]),
    ([3, 2, 4, 2, 3], [0, 0, 3, 0, 2], [3, 2, 0, 2, 0], [2, 1, -1, 1, -1], {}, [2, 2, 3, 2, 2]),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_slice(tmp_path: Path, require_cc: str, dtype: str) -> None:
    cases: list[Case] = []
    for shape, begin, end, strides, masks, out in SLICES:
        consts = [np.asarray(v, np.int32) for v in (begin, end, strides)]
        opts = options("StridedSliceOptionsT", **masks)
        cases.append(("STRIDED_SLICE", [shape], [out], consts, opts, 1))
    check_against_litert(_parallel(dtype, cases), tmp_path, n=3)


# ---- SPLIT / SPLIT_V -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [*DTYPES, "int32"])
def test_split(tmp_path: Path, require_cc: str, dtype: str) -> None:
    cases: list[Case] = []
    for shape, axis, n in [
        ([2, 6, 4], 1, 3),
        ([4, 3, 2, 6], -1, 2),
        ([4, 3], 0, 4),
        ([1, 2, 2, 3], 3, 1),
    ]:
        ax = axis % len(shape)
        out = [*shape[:ax], shape[ax] // n, *shape[ax + 1 :]]
        axis_c = np.asarray([axis], np.int32)
        cases.append(
            ("SPLIT", [shape], [out] * n, [axis_c], options("SplitOptionsT", numSplits=n), 1)
        )
    check_against_litert(_parallel(dtype, cases), tmp_path, n=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_split_v(tmp_path: Path, require_cc: str, dtype: str) -> None:
    b = TFLiteBuilder()
    x = b.tensor("x", [2, 9, 3], dtype, **_q(dtype))
    sizes = b.const("s", np.asarray([2, -1, 4], np.int32))
    axis = b.const("a", np.asarray([1], np.int32))
    ys = [b.tensor(f"y{i}", [2, n, 3], dtype, **_q(dtype)) for i, n in enumerate([2, 3, 4])]
    b.op("SPLIT_V", [x, sizes, axis], ys, options("SplitVOptionsT", numSplits=3))
    check_against_litert(b.build([x], ys), tmp_path)


# ---- RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR -----------------------------------------------

RESIZES = [
    ((4, 5), (8, 10)),
    ((5, 3), (7, 8)),
    ((9, 7), (4, 3)),
    ((3, 3), (3, 3)),
    ((1, 4), (3, 1)),
    ((6, 5), (11, 2)),
    ((2, 3), (17, 29)),  # large ratio: negative half-pixel weights at the border
    ((7, 7), (1, 1)),
]
FLAGS = [(False, False), (True, False), (False, True)]


def _resize_cases(
    op: str,
    sizes: list[tuple[tuple[int, int], tuple[int, int]]],
    flags: list[tuple[bool, bool]],
    c: int = 3,
) -> list[Case]:
    """Each input size resized once per (align_corners, half_pixel_centers) pair."""
    name = (
        "ResizeNearestNeighborOptionsT" if op.startswith("RESIZE_N") else "ResizeBilinearOptionsT"
    )
    return [
        (
            op,
            [[2, hw[0], hw[1], c]],
            [[2, size[0], size[1], c]],
            [np.asarray(size, np.int32)],
            options(name, alignCorners=ac, halfPixelCenters=hpc),
            3,
        )
        for hw, size in sizes
        for ac, hpc in flags
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_resize_nearest(tmp_path: Path, require_cc: str, dtype: str) -> None:
    # align_corners with half_pixel_centers is accepted by LiteRT for nearest neighbour
    cases = _resize_cases("RESIZE_NEAREST_NEIGHBOR", RESIZES, [*FLAGS, (True, True)])
    check_against_litert(_parallel(dtype, cases), tmp_path, n=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_resize_bilinear(tmp_path: Path, require_cc: str, dtype: str) -> None:
    cases = _resize_cases("RESIZE_BILINEAR", RESIZES, FLAGS)
    check_against_litert(_parallel(dtype, cases), tmp_path, n=2)


def test_resize_bilinear_int8_extremes(tmp_path: Path, require_cc: str) -> None:
    # saturated inputs and rounding ties at 2^19 (e.g. -128/127 mixed at half weights)
    m = _parallel("int8", _resize_cases("RESIZE_BILINEAR", [((2, 2), (4, 4))], FLAGS, 4))
    rng = np.random.default_rng(3)
    cases = [
        [rng.choice(np.asarray([-128, 127, -1, 0, 1], np.int8), (2, 2, 2, 4)) for _ in FLAGS]
        for _ in range(4)
    ]
    check_against_litert(m, tmp_path, inputs=cases)


def test_resize_bilinear_align_corners_with_half_pixel_rejected(tmp_path: Path) -> None:
    m = _parallel("int8", _resize_cases("RESIZE_BILINEAR", [((3, 3), (5, 5))], [(True, True)]))
    _rejected(tmp_path, m, "align_corners with half_pixel_centers")


def test_index_tables_match_known_values() -> None:
    # 2 -> 4, half-pixel centers: 0.125 steps -> 0, 0, 1, 1 / weights in 1/1024
    assert nearest_index(2, 4, False, True) == [0, 0, 1, 1]
    assert nearest_index(3, 5, True, False) == [0, 1, 1, 2, 2]  # round half away: 0.5 -> 1
    y0, y1, w = bilinear_tables_int(2, 4, False, True)
    assert (y0, y1, w) == ([0, 0, 0, 1], [0, 1, 1, 1], [-256, 256, 768, 256])


# ---- ARG_MAX ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("out_dtype", ["int32", "int64"])
def test_arg_max(tmp_path: Path, require_cc: str, dtype: str, out_dtype: str) -> None:
    otype = s.TensorType.INT32 if out_dtype == "int32" else s.TensorType.INT64
    opts = options("ArgMaxOptionsT", outputType=otype)
    shapes = [([2, 3, 4, 5], 3), ([2, 3, 4, 5], 1), ([7], 0), ([3, 6], -2)]
    cases: list[Case] = []
    for shape, axis in shapes:
        out = [d for i, d in enumerate(shape) if i != axis % len(shape)]
        cases.append(("ARG_MAX", [shape], [out], [np.asarray([axis], np.int32)], opts, 2))
    m = _parallel(dtype, cases, out_dtype)
    rng = np.random.default_rng(1)
    # few distinct values: many ties, the first index must win
    ties = [[rng.integers(-2, 3, sh).astype(dtype) for sh, _ in shapes] for _ in range(3)]
    check_against_litert(m, _tmp(tmp_path, "ties"), inputs=ties)
    check_against_litert(m, _tmp(tmp_path, "random"), n=3)


def test_arg_max_float_nan(tmp_path: Path, require_cc: str) -> None:
    m = _single(
        "ARG_MAX",
        "float32",
        [[5, 3]],
        [[5]],
        [np.asarray([1], np.int32)],
        options("ArgMaxOptionsT", outputType=s.TensorType.INT32),
        out_dtype="int32",
    )
    n = np.nan
    x = np.asarray([[n, 1, 2], [1, n, 3], [n, n, n], [2, n, 2], [-0.0, 0.0, n]], np.float32)
    check_against_litert(m, tmp_path, inputs=[[x]])


# ---- planning helpers ------------------------------------------------------------------------


def test_copy_plan_merges_contiguous_loops() -> None:
    # a whole contiguous tensor: one memcpy
    p = copy_plan([2, 3, 4], [12, 4, 1], [12, 4, 1], 2)
    assert p is not None and p.count == (1,) and p.run == 48
    # NHWC concat along channels of 3 out of 8: H*W runs of 3 elements
    p = copy_plan([1, 4, 5, 3], [60, 15, 3, 1], [160, 40, 8, 1], 1, out_offset=2)
    assert p is not None
    assert (p.count, p.in_stride, p.out_stride, p.run, p.out_offset) == ((20,), (3,), (8,), 3, 2)
    assert copy_plan([2, 0], [1, 1], [1, 1], 4) is None


def test_reshape_without_alias_lowers_to_a_copy() -> None:
    q = QuantParams.per_tensor(0.1, 0)
    x = Tensor("x", (2, 6), DType.INT8, q, data=np.arange(12, dtype=np.int8).reshape(2, 6))
    y = Tensor("y", (3, 4), DType.INT8, q)
    node = Node("reshape", [x], [y], ReshapeAttrs((3, 4)), "r")
    calls = Reshape().lower(node)
    assert len(calls) == 1 and calls[0].kernel == "mcu_copy"
    params = calls[0].args[0]
    assert isinstance(params, Struct)
    assert dict(params.fields)["run"] == 12


# ---- a chain of every op, also under ASan/UBSan ----------------------------------------------


def _chain_model() -> bytes:
    b = TFLiteBuilder()
    q: dict[str, Any] = {"scale": 0.05, "zero_point": -3}

    def t(name: str, shape: list[int], dtype: str = "int8") -> int:
        return b.tensor(name, shape, dtype, **(q if dtype == "int8" else {}))

    def i32(name: str, v: Any) -> int:
        return b.const(name, np.asarray(v, np.int32))

    x = t("x", [1, 6, 5, 4])
    tr = t("tr", [1, 5, 6, 4])
    b.op("TRANSPOSE", [x, i32("perm", [0, 2, 1, 3])], [tr])
    sl = t("sl", [1, 5, 6, 4])  # reversed along W
    b.op(
        "STRIDED_SLICE",
        [tr, i32("b", [0, 0, 5, 0]), i32("e", [1, 5, 0, 4]), i32("s", [1, 1, -1, 1])],
        [sl],
        options("StridedSliceOptionsT", endMask=4),
    )
    pd = t("pd", [1, 6, 8, 4])
    b.op("PAD", [sl, i32("pads", [[0, 0], [1, 0], [0, 2], [0, 0]])], [pd])
    cc = t("cc", [1, 6, 13, 4])
    b.op("CONCATENATION", [pd, x], [cc], options("ConcatenationOptionsT", axis=2))
    s1, s3 = t("s1", [1, 6, 13, 1]), t("s3", [1, 6, 13, 3])
    b.op(
        "SPLIT_V",
        [cc, i32("sizes", [1, 3]), i32("axis", [3])],
        [s1, s3],
        options("SplitVOptionsT", numSplits=2),
    )
    rn = t("rn", [1, 9, 7, 3])
    b.op(
        "RESIZE_NEAREST_NEIGHBOR",
        [s3, i32("rn_size", [9, 7])],
        [rn],
        options("ResizeNearestNeighborOptionsT", halfPixelCenters=True),
        version=3,
    )
    rb = t("rb", [1, 4, 20, 1])
    b.op(
        "RESIZE_BILINEAR",
        [s1, i32("rb_size", [4, 20])],
        [rb],
        options("ResizeBilinearOptionsT", halfPixelCenters=True),
        version=3,
    )
    am = t("am", [1, 9, 7], "int32")
    b.op(
        "ARG_MAX",
        [rn, i32("am_axis", [3])],
        [am],
        options("ArgMaxOptionsT", outputType=s.TensorType.INT32),
        version=2,
    )
    return b.build([x], [rb, am])


def test_chain_of_movement_ops(tmp_path: Path, require_cc: str) -> None:
    check_against_litert(_chain_model(), tmp_path)


def test_chain_under_asan_ubsan(tmp_path: Path, require_cc: str) -> None:
    path = tmp_path / "chain.tflite"
    path.write_bytes(_chain_model())
    code = generate(path, name="chain")
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    x = np.random.default_rng(4).integers(-128, 128, (1, 6, 5, 4)).astype(np.int8)
    (tmp_path / "in0").write_bytes(x.tobytes())
    outs = [str(tmp_path / f"out{j}") for j in range(2)]
    r = subprocess.run(
        [str(exe), str(tmp_path / "in0"), *outs], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run([x])
    for j, dt in enumerate([np.int8, np.int32]):
        got = np.frombuffer(Path(outs[j]).read_bytes(), dt)
        np.testing.assert_array_equal(got, ref[j].reshape(-1))
