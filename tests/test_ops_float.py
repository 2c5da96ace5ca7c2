"""Float32 kernels ("float fallback") against LiteRT BUILTIN_REF.

The kernels follow the reference kernels' float code in the same summation order, so on the
host every test here compares float32 bit patterns (``check(..., exact=True)``). expf / tanhf
come from the same libm in both (LiteRT and the generated code run in this process), hence exact
too. MEAN over axes other than (H, W) of a 4-D input runs ``optimized_ops::MeanGeneral`` in
LiteRT: another code path, which sums in the input's order as well (exact on every case tried).
Where exactness cannot hold (another summation order, newlib's expf/tanhf on Cortex-M) the
documented float tolerance is ``rtol = 1e-5`` and ``atol = 1e-6 * max(1, max|ref|)``
(``check(..., exact=False)``).

Float nodes of compute ops are lowered by :func:`mcuai.lower.lowering.lower_node`, which tries
:func:`mcuai.lower.float_kernels.lower_float` before the op's own (integer) ``lower``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import litert_reference, litert_run
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate, load_model, optimize
from mcuai.errors import UnsupportedError
from mcuai.lower.float_kernels import collapse_broadcast, lower_float, reduce_dims
from mcuai.ops._common import conv_out_size
from mcuai.targets.host import HostModel, build

pytestmark = [pytest.mark.cc, pytest.mark.ref]
ACT = s.ActivationFunctionType
ACTS = [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1]
SAME, VALID = s.Padding.SAME, s.Padding.VALID


def run_both(
    model: bytes, tmp_path: Path, inputs: list[np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    path = tmp_path / "op.tflite"
    path.write_bytes(model)
    code = generate(path, name="op")
    got, _ = HostModel(code, build(code)).run(inputs)
    ref = litert_run(litert_reference(path), inputs)
    return got, ref


def check(
    model: bytes,
    tmp_path: Path,
    exact: bool = True,
    inputs: list[np.ndarray] | None = None,
    lo: float = -1.0,
    hi: float = 1.0,
    n: int = 2,
    seed: int = 0,
) -> None:
    """Generated C vs LiteRT on ``n`` random inputs (uniform [lo, hi)) or the given inputs:
    equal float32 bits when ``exact``, else the documented tolerance."""
    path = tmp_path / "op.tflite"
    path.write_bytes(model)
    it = litert_reference(path)
    rng = np.random.default_rng(seed)
    cases = (
        [inputs]
        if inputs is not None
        else [
            [
                rng.uniform(lo, hi, tuple(d["shape"])).astype(np.float32)
                for d in it.get_input_details()
            ]
            for _ in range(n)
        ]
    )
    code = generate(path, name="op")
    host = HostModel(code, build(code))
    for xs in cases:
        ref = litert_run(it, xs)
        got, _ = host.run(xs)
        for g, r in zip(got, ref, strict=True):
            assert g.shape == r.shape and g.dtype == r.dtype == np.float32
            if exact:
                bad = np.argwhere(g.view(np.uint32) != r.view(np.uint32))
                assert bad.size == 0, (
                    f"{len(bad)}/{g.size} differ, first at {bad[0].tolist()}: "
                    f"{g[tuple(bad[0])]!r} vs {r[tuple(bad[0])]!r}"
                )
            else:
                atol = 1e-6 * max(1.0, float(np.abs(r).max()))
                np.testing.assert_allclose(g, r, rtol=1e-5, atol=atol)


def f32(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return (rng.uniform(-1, 1, shape) * scale).astype(np.float32)


def out_hw(
    h: int, w: int, k: tuple[int, int], st: tuple[int, int], d: tuple[int, int], padding: int
) -> tuple[int, int]:
    if padding == SAME:
        return -(-h // st[0]), -(-w // st[1])
    return conv_out_size(h, k[0], st[0], d[0], 0), conv_out_size(w, k[1], st[1], d[1], 0)


# ---- convolutions -------------------------------------------------------------------------


def conv_model(  # LiteRT's float CONV_2D requires a bias ("has_bias was not true")
    in_shape: tuple[int, int, int, int],
    cout: int,
    k: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: int = SAME,
    act: int = ACT.NONE,
    bias: bool = True,
    groups: int = 1,
    seed: int = 0,
) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, cin = in_shape
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), "float32")
    ins = [x, b.const("w", f32(rng, (cout, k[0], k[1], cin // groups)))]
    if bias:
        ins.append(b.const("bias", f32(rng, (cout,), 0.5)))
    oh, ow = out_hw(h, w, k, stride, dilation, padding)
    y = b.tensor("y", [n, oh, ow, cout], "float32")
    opts = options(
        "Conv2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        dilationHFactor=dilation[0],
        dilationWFactor=dilation[1],
        fusedActivationFunction=act,
    )
    b.op("CONV_2D", ins, [y], opts, version=1)
    return b.build([x], [y])


@pytest.mark.parametrize(
    ("stride", "padding", "act"),
    [
        ((1, 1), SAME, ACT.NONE),
        ((2, 2), SAME, ACT.RELU),
        ((2, 1), VALID, ACT.RELU6),
        ((3, 2), VALID, ACT.RELU_N1_TO_1),
        ((1, 2), VALID, ACT.NONE),
        ((3, 3), SAME, ACT.RELU6),
    ],
)
def test_conv2d(
    tmp_path: Path, require_cc: str, stride: tuple[int, int], padding: int, act: int
) -> None:
    check(conv_model((1, 9, 8, 5), 6, (3, 3), stride, padding=padding, act=act), tmp_path)


@pytest.mark.parametrize(
    ("kw", "extra"),
    [
        ("dilation", {"dilation": (2, 3), "k": (3, 3)}),
        ("groups", {"groups": 2, "k": (3, 3)}),
        ("pointwise", {"k": (1, 1)}),
        ("kernel_5x2_batch", {"k": (5, 2)}),
    ],
)
def test_conv2d_variants(tmp_path: Path, require_cc: str, kw: str, extra: dict[str, Any]) -> None:
    shape = (2, 8, 7, 6) if kw == "kernel_5x2_batch" else (1, 12, 11, 6)
    check(conv_model(shape, 4, seed=3, **extra), tmp_path)


def dwconv_model(
    in_shape: tuple[int, int, int, int],
    mult: int,
    k: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: int = SAME,
    act: int = ACT.NONE,
    bias: bool = True,
) -> bytes:
    rng = np.random.default_rng(1)
    n, h, w, cin = in_shape
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), "float32")
    ins = [x, b.const("w", f32(rng, (1, k[0], k[1], cin * mult)))]
    if bias:
        ins.append(b.const("bias", f32(rng, (cin * mult,), 0.5)))
    oh, ow = out_hw(h, w, k, stride, dilation, padding)
    y = b.tensor("y", [n, oh, ow, cin * mult], "float32")
    opts = options(
        "DepthwiseConv2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        depthMultiplier=mult,
        dilationHFactor=dilation[0],
        dilationWFactor=dilation[1],
        fusedActivationFunction=act,
    )
    b.op("DEPTHWISE_CONV_2D", ins, [y], opts, version=2)
    return b.build([x], [y])


@pytest.mark.parametrize(
    ("mult", "stride", "dilation", "padding", "act", "bias"),
    [
        (1, (1, 1), (1, 1), SAME, ACT.NONE, True),
        (2, (2, 2), (1, 1), SAME, ACT.RELU6, True),
        (1, (1, 2), (2, 2), VALID, ACT.RELU, False),
        (3, (2, 1), (1, 1), VALID, ACT.RELU_N1_TO_1, True),
    ],
)
def test_depthwise_conv2d(
    tmp_path: Path,
    require_cc: str,
    mult: int,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    padding: int,
    act: int,
    bias: bool,
) -> None:
    m = dwconv_model((1, 9, 10, 4), mult, (3, 3), stride, dilation, padding, act, bias)
    check(m, tmp_path)


@pytest.mark.parametrize(
    ("in_shape", "nout", "keep", "bias", "act"),
    [
        ((3, 20), 7, False, True, ACT.NONE),
        ((1, 2, 2, 8), 5, False, False, ACT.RELU),
        ((2, 3, 8), 4, True, True, ACT.RELU6),
        ((1, 64), 10, False, True, ACT.RELU_N1_TO_1),
    ],
)
def test_fully_connected(
    tmp_path: Path,
    require_cc: str,
    in_shape: tuple[int, ...],
    nout: int,
    keep: bool,
    bias: bool,
    act: int,
) -> None:
    rng = np.random.default_rng(2)
    nin = in_shape[-1] if keep or len(in_shape) == 2 else int(np.prod(in_shape[1:]))
    batch = int(np.prod(in_shape)) // nin
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), "float32")
    ins = [x, b.const("w", f32(rng, (nout, nin)))]
    if bias:
        ins.append(b.const("bias", f32(rng, (nout,))))
    y_shape = [*in_shape[:-1], nout] if keep else [batch, nout]
    y = b.tensor("y", y_shape, "float32")
    opts = options("FullyConnectedOptionsT", fusedActivationFunction=act, keepNumDims=keep)
    b.op("FULLY_CONNECTED", ins, [y], opts, version=1)
    check(b.build([x], [y]), tmp_path, lo=-2, hi=2)


@pytest.mark.parametrize(
    ("stride", "padding", "k", "bias", "act"),
    [
        ((2, 2), SAME, (3, 3), True, ACT.NONE),
        ((2, 2), VALID, (3, 3), False, ACT.NONE),
        ((1, 1), SAME, (2, 2), True, ACT.RELU),
        ((2, 3), SAME, (4, 3), True, ACT.RELU6),
    ],
)
def test_transpose_conv(
    tmp_path: Path,
    require_cc: str,
    stride: tuple[int, int],
    padding: int,
    k: tuple[int, int],
    bias: bool,
    act: int,
) -> None:
    rng = np.random.default_rng(5)
    n, h, w, cin, cout = 1, 4, 5, 3, 4
    if padding == SAME:
        oh, ow = h * stride[0], w * stride[1]
    else:
        oh, ow = (h - 1) * stride[0] + k[0], (w - 1) * stride[1] + k[1]
    b = TFLiteBuilder()
    shape = b.const("shape", np.array([n, oh, ow, cout], np.int32))
    wt = b.const("w", f32(rng, (cout, k[0], k[1], cin)))
    x = b.tensor("x", [n, h, w, cin], "float32")
    ins = [shape, wt, x]
    if bias:
        ins.append(b.const("bias", f32(rng, (cout,))))
    y = b.tensor("y", [n, oh, ow, cout], "float32")
    opts = options(
        "TransposeConvOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        fusedActivationFunction=act,
    )
    b.op("TRANSPOSE_CONV", ins, [y], opts, version=4 if act != ACT.NONE else 3)
    check(b.build([x], [y]), tmp_path)


def test_hybrid_conv_is_refused(tmp_path: Path) -> None:
    """Float activations with int8 weights (dynamic-range quantization) get a clear error."""
    rng = np.random.default_rng(0)
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 5, 5, 2], "float32")
    w = b.const(
        "w", rng.integers(-127, 128, (3, 3, 3, 2)).astype(np.int8), scale=0.01, zero_point=0
    )
    y = b.tensor("y", [1, 5, 5, 3], "float32")
    b.op(
        "CONV_2D",
        [x, w],
        [y],
        options(
            "Conv2DOptionsT",
            padding=SAME,
            strideH=1,
            strideW=1,
            dilationHFactor=1,
            dilationWFactor=1,
        ),
    )
    path = tmp_path / "hybrid.tflite"
    path.write_bytes(b.build([x], [y]))
    with pytest.raises(UnsupportedError, match="dynamic-range"):
        generate(path, name="hybrid")


# ---- pooling and reductions ---------------------------------------------------------------


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize(
    ("k", "stride", "padding", "act"),
    [
        ((2, 2), (2, 2), VALID, ACT.NONE),
        ((3, 3), (2, 2), SAME, ACT.RELU),
        ((3, 2), (1, 2), SAME, ACT.RELU6),
        ((4, 4), (3, 3), SAME, ACT.RELU_N1_TO_1),
    ],
)
def test_pool(
    tmp_path: Path,
    require_cc: str,
    op: str,
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
    act: int,
) -> None:
    n, h, w, c = 2, 9, 10, 3
    oh, ow = out_hw(h, w, k, stride, (1, 1), padding)
    b = TFLiteBuilder()
    x = b.tensor("x", [n, h, w, c], "float32")
    y = b.tensor("y", [n, oh, ow, c], "float32")
    opts = options(
        "Pool2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        filterHeight=k[0],
        filterWidth=k[1],
        fusedActivationFunction=act,
    )
    b.op(op, [x], [y], opts)
    check(b.build([x], [y]), tmp_path, lo=-3, hi=3)


@pytest.mark.parametrize(
    ("shape", "axes", "keep"),
    [
        ((2, 7, 6, 5), (1, 2), True),  # reference_ops::Mean (4-D over H and W, keep_dims)
        ((2, 7, 6, 5), (2, 1), True),
        ((2, 7, 6, 5), (1, 2), False),  # the others: optimized_ops::MeanGeneral in LiteRT
        ((2, 7, 6, 5), (3,), True),
        ((2, 7, 6, 5), (0, 2), False),
        ((3, 40), (1,), False),
        ((4, 1000), (0, 1), False),
        ((1, 3, 4, 5, 6), (1, 3), False),
    ],
)
def test_mean(
    tmp_path: Path,
    require_cc: str,
    shape: tuple[int, ...],
    axes: tuple[int, ...],
    keep: bool,
) -> None:
    b = TFLiteBuilder()
    x = b.tensor("x", list(shape), "float32")
    ax = b.const("axes", np.array(axes, np.int32))
    norm = {a % len(shape) for a in axes}
    out = (
        [1 if i in norm else d for i, d in enumerate(shape)]
        if keep
        else [d for i, d in enumerate(shape) if i not in norm]
    )
    y = b.tensor("y", out, "float32")
    b.op("MEAN", [x, ax], [y], options("ReducerOptionsT", keepDims=keep))
    check(b.build([x], [y]), tmp_path, lo=-1, hi=3)


def test_reduce_and_broadcast_dims() -> None:
    assert reduce_dims((1, 7, 7, 16), (1, 2)) == ((1, 1, 49, 16), (1, 1, 1, 16))
    assert reduce_dims((1, 3, 4, 5, 6), (1, 3)) == ((3, 4, 5, 6), (1, 4, 1, 6))
    assert reduce_dims((2, 3, 4, 5, 6), (1, 2)) == ((1, 2, 12, 30), (1, 2, 1, 30))
    assert reduce_dims((2, 3, 2, 3, 2, 3), (1, 3, 5)) is None
    assert collapse_broadcast((2, 3, 4, 5, 6), (5, 6), (2, 3, 4, 5, 6)) == (
        (1, 1, 24, 30),
        (1, 1, 1, 30),
        (1, 1, 24, 30),
    )
    assert collapse_broadcast((4, 1, 3), (1, 5, 1), (4, 5, 3)) == (
        (1, 4, 1, 3),
        (1, 1, 5, 1),
        (1, 4, 5, 3),
    )


# ---- element-wise -------------------------------------------------------------------------


BCAST = [
    ((1, 4, 4, 3), (1, 4, 4, 3)),
    ((1, 4, 4, 3), (3,)),
    ((2, 1, 4, 1), (1, 3, 1, 5)),
    ((5,), (2, 3, 5)),
    ((2, 3, 4, 5, 6), (1, 1, 1, 5, 6)),
    ((4, 1), (1,)),
]


def binary_model(op: str, a: tuple[int, ...], bs: tuple[int, ...], act: int | None) -> bytes:
    b = TFLiteBuilder()
    x1 = b.tensor("a", list(a), "float32")
    x2 = b.tensor("b", list(bs), "float32")
    out = np.broadcast_shapes(a, bs)
    y = b.tensor("y", list(out), "float32")
    opts = None
    if act is not None:
        name = {"ADD": "AddOptionsT", "SUB": "SubOptionsT", "MUL": "MulOptionsT"}[op]
        opts = options(name, fusedActivationFunction=act)
    b.op(op, [x1, x2], [y], opts, version=1)
    return b.build([x1, x2], [y])


@pytest.mark.parametrize(
    ("op", "a", "bs"),
    [("ADD", a, bs) for a, bs in BCAST]
    + [(op, a, bs) for op in ("SUB", "MUL") for a, bs in BCAST[1::2]],
)
def test_arithmetic_broadcast(
    tmp_path: Path, require_cc: str, op: str, a: tuple[int, ...], bs: tuple[int, ...]
) -> None:
    check(binary_model(op, a, bs, ACT.NONE), tmp_path, lo=-4, hi=4)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("act", [ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_arithmetic_activations(tmp_path: Path, require_cc: str, op: str, act: int) -> None:
    check(binary_model(op, (1, 5, 3), (3,), act), tmp_path, lo=-8, hi=8)


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
@pytest.mark.parametrize(("a", "bs"), BCAST[1:4])
def test_maximum_minimum(
    tmp_path: Path, require_cc: str, op: str, a: tuple[int, ...], bs: tuple[int, ...]
) -> None:
    check(binary_model(op, a, bs, None), tmp_path)


@pytest.mark.parametrize(("shape", "alpha_shape"), [((1, 4, 5, 3), (1, 1, 3)), ((2, 6), (6,))])
def test_prelu(
    tmp_path: Path, require_cc: str, shape: tuple[int, ...], alpha_shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(7)
    b = TFLiteBuilder()
    x = b.tensor("x", list(shape), "float32")
    al = b.const("alpha", f32(rng, alpha_shape, 0.7))
    y = b.tensor("y", list(shape), "float32")
    b.op("PRELU", [x, al], [y])
    check(b.build([x], [y]), tmp_path, lo=-3, hi=3)


def unary_model(op: str, shape: list[int], opts: Any = None) -> bytes:
    b = TFLiteBuilder()
    x = b.tensor("x", shape, "float32")
    y = b.tensor("y", shape, "float32")
    b.op(op, [x], [y], opts)
    return b.build([x], [y])


def spread(n: int, lo: float, hi: float) -> np.ndarray:
    """n values over [lo, hi] plus the special points of the activations."""
    special = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 16.619047, 16.62, -9.0, -9.0001, 1e-8]
    v = np.concatenate([np.linspace(lo, hi, n - len(special)), special])
    return v.astype(np.float32).reshape(1, -1)


@pytest.mark.parametrize(
    ("op", "lo", "hi"),
    [
        ("RELU", -8, 8),
        ("RELU6", -8, 8),
        ("RELU_N1_TO_1", -3, 3),
        ("LOGISTIC", -30, 30),
        ("TANH", -12, 12),
        ("HARD_SWISH", -8, 8),
    ],
)
def test_activation(tmp_path: Path, require_cc: str, op: str, lo: float, hi: float) -> None:
    x = spread(1000, lo, hi)
    check(unary_model(op, list(x.shape)), tmp_path, inputs=[x])


@pytest.mark.parametrize("alpha", [0.2, -0.5, 1.7])
def test_leaky_relu(tmp_path: Path, require_cc: str, alpha: float) -> None:
    x = spread(200, -5, 5)
    m = unary_model("LEAKY_RELU", list(x.shape), options("LeakyReluOptionsT", alpha=alpha))
    check(m, tmp_path, inputs=[x])


@pytest.mark.parametrize(("shape", "beta"), [((2, 10), 1.0), ((1, 3, 4, 7), 0.5), ((5, 1), 2.0)])
def test_softmax(tmp_path: Path, require_cc: str, shape: tuple[int, ...], beta: float) -> None:
    m = unary_model("SOFTMAX", list(shape), options("SoftmaxOptionsT", beta=beta))
    check(m, tmp_path, lo=-10, hi=10)


def test_float_chain_in_place(tmp_path: Path, require_cc: str) -> None:
    """A small float network: conv -> relu -> add (broadcast) -> softmax, exercising the memory
    planner's buffer sharing with the float kernels."""
    rng = np.random.default_rng(9)
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 6, 6, 2], "float32")
    w = b.const("w", f32(rng, (4, 3, 3, 2)))
    c = b.tensor("c", [1, 6, 6, 4], "float32")
    r = b.tensor("r", [1, 6, 6, 4], "float32")
    bias = b.const("bias", f32(rng, (4,)))
    k = b.const("k", f32(rng, (4,)))
    a = b.tensor("a", [1, 6, 6, 4], "float32")
    y = b.tensor("y", [1, 6, 6, 4], "float32")
    b.op(
        "CONV_2D",
        [x, w, bias],
        [c],
        options(
            "Conv2DOptionsT",
            padding=SAME,
            strideH=1,
            strideW=1,
            dilationHFactor=1,
            dilationWFactor=1,
        ),
    )
    b.op("RELU", [c], [r])
    b.op("ADD", [r, k], [a], options("AddOptionsT"))
    b.op("SOFTMAX", [a], [y], options("SoftmaxOptionsT", beta=1.0))
    check(b.build([x], [y]), tmp_path)


def test_lower_float_skips_integer_nodes(tmp_path: Path) -> None:
    """lower_float returns None for a quantized node (the integer path stays in charge)."""
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4], "int8", scale=0.1, zero_point=0)
    y = b.tensor("y", [1, 4], "int8", scale=0.1, zero_point=0)
    b.op("RELU", [x], [y])
    path = tmp_path / "q.tflite"
    path.write_bytes(b.build([x], [y]))
    g = optimize(load_model(path))
    assert all(lower_float(nd) is None for nd in g.nodes)
