"""TFLite uint8 (asymmetric, older converter) models against LiteRT BUILTIN_REF, bit-exact.

mcuai stores uint8 tensors as int8 (``passes/uint8_to_int8``: value and zero point - 128) and
keeps the model's uint8 inputs and outputs. Every test builds uint8 models (uint8 model I/O,
uint8 weights with non-zero zero points) with several independent ops side by side (one
compilation each) and compares with LiteRT's reference kernels; the rules where uint8 differs
from int8 (conv multipliers and filter offsets, average-pool rounding, concatenation rescaling,
bilinear resize in float, softmax output) each have their own cases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import analyze, generate, load_model, optimize
from mcuai.errors import UnsupportedError
from mcuai.ir.dtypes import DType
from mcuai.lower.uint8 import concat_rescale_table, from_uint8
from mcuai.passes import uint8_to_int8
from mcuai.quant.fixed_point import multiply_by_quantized_multiplier as mbqm
from mcuai.quant.fixed_point import quantize_multiplier

pytestmark = [pytest.mark.cc, pytest.mark.ref]

ACT = s.ActivationFunctionType
ACTS = [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1]
SAME, VALID = s.Padding.SAME, s.Padding.VALID
Q = tuple[float, int]


class Model:
    """Independent uint8 ops side by side: each ``input`` is a model input, each ``output`` a
    model output."""

    def __init__(self, seed: int = 0) -> None:
        self.b = TFLiteBuilder()
        self.rng = np.random.default_rng(seed)
        self.ins: list[int] = []
        self.outs: list[int] = []
        self.k = 0

    def _name(self, stem: str) -> str:
        self.k += 1
        return f"{stem}{self.k}"

    def input(self, shape: list[int], q: Q = (0.05, 120), dtype: str = "uint8") -> int:
        t = self.b.tensor(self._name("x"), shape, dtype, scale=q[0], zero_point=q[1])
        self.ins.append(t)
        return t

    def output(self, shape: list[int], q: Q = (0.06, 110), dtype: str = "uint8") -> int:
        kw: dict[str, Any] = {} if dtype == "float32" else {"scale": q[0], "zero_point": q[1]}
        t = self.b.tensor(self._name("y"), shape, dtype, **kw)
        self.outs.append(t)
        return t

    def inner(self, shape: list[int], q: Q) -> int:
        return self.b.tensor(self._name("t"), shape, "uint8", scale=q[0], zero_point=q[1])

    def weights(self, shape: tuple[int, ...], q: Q) -> int:
        data = self.rng.integers(0, 256, shape).astype(np.uint8)
        return self.b.const(self._name("w"), data, scale=q[0], zero_point=q[1])

    def bias(self, n: int, scale: float, spread: int = 3000) -> int:
        data = self.rng.integers(-spread, spread, n).astype(np.int32)
        return self.b.const(self._name("b"), data, scale=scale, zero_point=0)

    def const(self, data: np.ndarray, **q: Any) -> int:
        return self.b.const(self._name("c"), data, **q)

    def op(self, name: str, ins: list[int], outs: list[int], opts: Any = None) -> None:
        self.b.op(name, ins, outs, opts, version=1)

    def build(self) -> bytes:
        return self.b.build(self.ins, self.outs)


def every_value_inputs(model: bytes, tmp_path: Path, rng: np.random.Generator) -> list[list[Any]]:
    """Two input sets in which each uint8 input holds every value 0..255 (shuffled, padded)."""
    p = tmp_path / "probe.tflite"
    p.write_bytes(model)
    it = Interpreter(model_path=str(p), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    cases: list[list[Any]] = [[], []]
    for d in it.get_input_details():
        size = int(np.prod(d["shape"]))
        for case in cases:
            vals = np.concatenate([rng.permutation(256), rng.integers(0, 256, max(size, 256))])
            case.append(vals[:size].astype(d["dtype"]).reshape(d["shape"]))
    return cases


def kernels_of(model: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "k.tflite"
    path.write_bytes(model)
    code = generate(path, name="k")
    return [k for la in code.layers for k in la["kernels"]]


# ---- CONV_2D --------------------------------------------------------------------------------


def conv(
    m: Model,
    in_shape: list[int],
    cout: int,
    k: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: int = SAME,
    act: int = ACT.NONE,
    in_q: Q = (0.02, 120),
    w_q: Q = (0.01, 131),
    out_q: Q = (0.05, 100),
    groups: int = 1,
    bias: bool = True,
) -> None:
    n, h, w, cin = in_shape
    x = m.input(in_shape, in_q)
    ins = [x, m.weights((cout, k[0], k[1], cin // groups), w_q)]
    if bias:
        ins.append(m.bias(cout, in_q[0] * w_q[0]))
    if padding == SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh = (h - (k[0] - 1) * dilation[0] - 1) // stride[0] + 1
        ow = (w - (k[1] - 1) * dilation[1] - 1) // stride[1] + 1
    y = m.output([n, oh, ow, cout], out_q)
    opts = options(
        "Conv2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        dilationHFactor=dilation[0],
        dilationWFactor=dilation[1],
        fusedActivationFunction=act,
    )
    m.op("CONV_2D", ins, [y], opts)


@pytest.mark.parametrize("act", ACTS)
def test_conv2d_strides_padding_dilation(tmp_path: Path, require_cc: str, act: int) -> None:
    m = Model(seed=act)
    conv(m, [1, 7, 6, 3], 4, (3, 3), act=act)
    conv(m, [1, 9, 8, 5], 3, (3, 2), stride=(2, 2), padding=VALID, act=act, w_q=(0.004, 255))
    conv(m, [2, 9, 9, 2], 3, (3, 3), dilation=(2, 1), act=act, w_q=(0.02, 0))
    conv(m, [1, 6, 5, 4], 5, (1, 1), act=act, w_q=(0.01, 77), in_q=(0.03, 0))
    conv(m, [1, 5, 5, 2], 2, (5, 5), stride=(3, 2), act=act, in_q=(0.1, 255), out_q=(0.2, 3))
    check_against_litert(m.build(), tmp_path, n=3)


def test_conv2d_weights_zero_point_128_uses_int8_kernels(tmp_path: Path, require_cc: str) -> None:
    """A uint8 filter zero point of 128 is 0 after the shift: the int8 kernels (generic and
    1x1) compute the layer, with the uint8 multiplier."""
    m = Model(seed=3)
    conv(m, [1, 6, 6, 4], 3, (3, 3), w_q=(0.01, 128))
    conv(m, [1, 6, 6, 8], 5, (1, 1), padding=VALID, w_q=(0.02, 128))
    model = m.build()
    assert sorted(k for k in kernels_of(model, tmp_path) if "conv" in k) == [
        "mcu_conv2d_1x1_s8",
        "mcu_conv2d_s8",
    ]
    check_against_litert(model, tmp_path, n=3)


def _float_product_case() -> tuple[float, float, float, list[int]]:
    """Scales whose uint8 multiplier (float32 product s_in * s_w) differs from the int8 rule
    (double product), and the accumulators whose output the difference changes (without
    saturating): the lowering must use the uint8 rule to be exact on them."""
    rng = np.random.default_rng(7)
    best: tuple[int, float, float, float] | None = None
    for _ in range(20000):
        sx, sw = (float(np.float32(v)) for v in rng.uniform(0.001, 0.01, 2))
        sy = float(np.float32(rng.uniform(0.02, 0.05)))
        u8 = quantize_multiplier(float(np.float32(np.float32(sx) * np.float32(sw))) / sy)
        s8 = quantize_multiplier(sx * sw / sy)
        if u8[1] == s8[1] and (best is None or abs(u8[0] - s8[0]) > best[0]):
            best = (abs(u8[0] - s8[0]), sx, sw, sy)
    assert best is not None
    _, sx, sw, sy = best
    u8 = quantize_multiplier(float(np.float32(np.float32(sx) * np.float32(sw))) / sy)
    s8 = quantize_multiplier(sx * sw / sy)
    lim = int(120 / (u8[0] * 2.0 ** (u8[1] - 31)))
    acc = np.arange(-lim, lim + 1)
    hits = acc[mbqm(acc, *u8) != mbqm(acc, *s8)]
    assert hits.size > 0
    return sx, sw, sy, [int(v) for v in hits]


def test_conv_float_product_multiplier(tmp_path: Path, require_cc: str) -> None:
    """1x1 CONV_2D / DEPTHWISE_CONV_2D / TRANSPOSE_CONV with one input channel, a weight of
    zero point + 1 and biases placing an accumulator on a value where the two multiplier rules
    round differently (every uint8 input value, so acc = u - 128 + bias covers it)."""
    sx, sw, sy, hits = _float_product_case()
    m = Model()
    n = len(hits)
    bias = np.array(hits, np.int32)
    w1 = np.full((n, 1, 1, 1), 101, np.uint8)  # zero point 100: w - zp = 1
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"):
        x = m.input([1, 1, 256, 1], (sx, 128))
        w = m.const(
            w1 if op != "DEPTHWISE_CONV_2D" else w1.reshape(1, 1, 1, n), scale=sw, zero_point=100
        )
        b = m.const(bias, scale=sx * sw, zero_point=0)
        y = m.output([1, 1, 256, n], (sy, 128))
        if op == "CONV_2D":
            m.op(op, [x, w, b], [y], options("Conv2DOptionsT", padding=VALID, strideH=1, strideW=1))
        elif op == "DEPTHWISE_CONV_2D":
            opts = options(
                "DepthwiseConv2DOptionsT", padding=VALID, strideH=1, strideW=1, depthMultiplier=n
            )
            m.op(op, [x, w, b], [y], opts)
        else:
            shape = m.const(np.array([1, 1, 256, n], np.int32))
            opts = options("TransposeConvOptionsT", padding=VALID, strideH=1, strideW=1)
            m.op(op, [shape, w, x, b], [y], opts)
    u = np.arange(256, dtype=np.uint8).reshape(1, 1, 256, 1)
    check_against_litert(m.build(), tmp_path, inputs=[[u, u, u]])


def test_conv2d_saturation(tmp_path: Path, require_cc: str) -> None:
    """(LiteRT refuses CONV_2D without a bias, so every case has one.)"""
    m = Model(seed=11)
    conv(m, [1, 6, 6, 16], 8, (3, 3), out_q=(0.0005, 100))  # most outputs saturate
    conv(m, [1, 6, 6, 16], 8, (3, 3), out_q=(0.5, 250), act=ACT.RELU6)
    check_against_litert(m.build(), tmp_path, n=3)


def test_conv2d_groups(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=13)
    conv(m, [1, 6, 6, 8], 6, (3, 3), groups=2)
    check_against_litert(m.build(), tmp_path, n=3)


def test_conv2d_per_channel_uint8_refused(tmp_path: Path) -> None:
    """Per-channel uint8 weights: LiteRT refuses them, so does mcuai (clear error)."""
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4, 4, 2], "uint8", scale=0.02, zero_point=128)
    wd = np.full((3, 3, 3, 2), 130, np.uint8)
    w = b.const("w", wd, scale=[0.01, 0.02, 0.03], zero_point=[128, 128, 128])
    bias = b.const("b", np.zeros(3, np.int32), scale=[0.0002, 0.0004, 0.0006], zero_point=[0] * 3)
    y = b.tensor("y", [1, 4, 4, 3], "uint8", scale=0.05, zero_point=128)
    b.op(
        "CONV_2D", [x, w, bias], [y], options("Conv2DOptionsT", padding=SAME, strideH=1, strideW=1)
    )
    path = tmp_path / "pc.tflite"
    path.write_bytes(b.build([x], [y]))
    with pytest.raises(UnsupportedError, match="uint8 weights quantized per channel"):
        generate(path)
    it = Interpreter(model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    with pytest.raises(RuntimeError):
        it.allocate_tensors()


# ---- DEPTHWISE_CONV_2D ----------------------------------------------------------------------


def dw(
    m: Model,
    in_shape: list[int],
    mult: int,
    k: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: int = SAME,
    act: int = ACT.NONE,
    in_q: Q = (0.02, 125),
    w_q: Q = (0.02, 100),
    out_q: Q = (0.04, 130),
    bias: bool = True,
) -> None:
    n, h, w, cin = in_shape
    cout = cin * mult
    x = m.input(in_shape, in_q)
    ins = [x, m.weights((1, k[0], k[1], cout), w_q)]
    if bias:
        ins.append(m.bias(cout, in_q[0] * w_q[0]))
    if padding == SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh = (h - (k[0] - 1) * dilation[0] - 1) // stride[0] + 1
        ow = (w - (k[1] - 1) * dilation[1] - 1) // stride[1] + 1
    y = m.output([n, oh, ow, cout], out_q)
    opts = options(
        "DepthwiseConv2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        dilationHFactor=dilation[0],
        dilationWFactor=dilation[1],
        depthMultiplier=mult,
        fusedActivationFunction=act,
    )
    m.op("DEPTHWISE_CONV_2D", ins, [y], opts)


@pytest.mark.parametrize("act", ACTS)
def test_depthwise_variants(tmp_path: Path, require_cc: str, act: int) -> None:
    m = Model(seed=20 + act)
    dw(m, [1, 7, 7, 4], 1, (3, 3), act=act)
    dw(m, [1, 8, 7, 3], 2, (3, 3), stride=(2, 2), padding=VALID, act=act, w_q=(0.01, 255))
    dw(m, [2, 9, 9, 2], 1, (5, 3), dilation=(2, 2), act=act, w_q=(0.03, 0), bias=False)
    dw(m, [1, 6, 6, 3], 3, (2, 2), stride=(1, 2), act=act, in_q=(0.1, 0), out_q=(0.01, 255))
    check_against_litert(m.build(), tmp_path, n=3)


def test_depthwise_zero_point_128_uses_3x3_kernel(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=27)
    dw(m, [1, 6, 6, 8], 1, (3, 3), w_q=(0.02, 128))
    model = m.build()
    assert [k for k in kernels_of(model, tmp_path) if "dwconv" in k] == ["mcu_dwconv2d_3x3_s8"]
    check_against_litert(model, tmp_path, n=3)


# ---- FULLY_CONNECTED ------------------------------------------------------------------------


def fc(
    m: Model,
    in_shape: list[int],
    nout: int,
    act: int = ACT.NONE,
    keep: bool = False,
    bias: bool = True,
    in_q: Q = (0.03, 118),
    w_q: Q = (0.01, 140),
    out_q: Q = (0.08, 121),
) -> None:
    nin = in_shape[-1]
    x = m.input(in_shape, in_q)
    ins = [x, m.weights((nout, nin), w_q)]
    if bias:
        ins.append(m.bias(nout, in_q[0] * w_q[0], 20000))
    batch = int(np.prod(in_shape)) // nin
    y = m.output([*in_shape[:-1], nout] if keep else [batch, nout], out_q)
    opts = options("FullyConnectedOptionsT", fusedActivationFunction=act, keepNumDims=keep)
    m.op("FULLY_CONNECTED", ins, [y], opts)


@pytest.mark.parametrize("act", ACTS)
def test_fully_connected(tmp_path: Path, require_cc: str, act: int) -> None:
    m = Model(seed=30 + act)
    fc(m, [1, 40], 10, act=act)
    fc(m, [3, 17], 5, act=act, w_q=(0.02, 0), bias=False)
    fc(m, [2, 3, 8], 4, act=act, keep=True, w_q=(0.005, 255), out_q=(0.01, 3))
    fc(m, [1, 16], 6, act=act, w_q=(0.01, 128), in_q=(0.05, 0))
    check_against_litert(m.build(), tmp_path, n=3)


# ---- TRANSPOSE_CONV -------------------------------------------------------------------------


def tconv(
    m: Model,
    in_shape: list[int],
    cout: int,
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
    w_q: Q = (0.01, 133),
    bias: bool = True,
    out_q: Q = (0.06, 125),
    act: int = ACT.NONE,
) -> None:
    n, h, w, cin = in_shape
    if padding == SAME:
        oh, ow = h * stride[0], w * stride[1]
    else:
        oh, ow = (h - 1) * stride[0] + k[0], (w - 1) * stride[1] + k[1]
    in_q = (0.02, 118)
    shape = m.const(np.array([n, oh, ow, cout], np.int32))
    x = m.input(in_shape, in_q)
    ins = [shape, m.weights((cout, k[0], k[1], cin), w_q), x]
    if bias:
        ins.append(m.bias(cout, in_q[0] * w_q[0]))
    y = m.output([n, oh, ow, cout], out_q)
    opts = options(
        "TransposeConvOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        fusedActivationFunction=act,
    )
    m.op("TRANSPOSE_CONV", ins, [y], opts)


@pytest.mark.parametrize("act", ACTS)
def test_transpose_conv(tmp_path: Path, require_cc: str, act: int) -> None:
    m = Model(seed=40 + act)
    tconv(m, [1, 4, 4, 3], 2, (3, 3), (2, 2), SAME, act=act)
    tconv(m, [1, 3, 5, 2], 3, (3, 2), (1, 2), VALID, w_q=(0.02, 0), act=act)
    tconv(m, [1, 4, 3, 4], 2, (2, 2), (2, 2), SAME, w_q=(0.01, 128), bias=False, act=act)
    tconv(m, [1, 3, 3, 5], 4, (3, 3), (3, 3), VALID, out_q=(0.002, 250), act=act)
    check_against_litert(m.build(), tmp_path, n=3)


# ---- pools ----------------------------------------------------------------------------------


def pool(
    m: Model,
    op: str,
    in_shape: list[int],
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
    act: int = ACT.NONE,
    q: Q = (0.05, 128),
) -> None:
    n, h, w, c = in_shape
    if padding == SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh, ow = (h - k[0]) // stride[0] + 1, (w - k[1]) // stride[1] + 1
    x = m.input(in_shape, q)
    y = m.output([n, oh, ow, c], q)
    opts = options(
        "Pool2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        filterHeight=k[0],
        filterWidth=k[1],
        fusedActivationFunction=act,
    )
    m.op(op, [x], [y], opts)


@pytest.mark.parametrize("act", ACTS)
def test_pools(tmp_path: Path, require_cc: str, act: int) -> None:
    """AVERAGE_POOL_2D rounds the uint8 sum half up (int8: half away from zero): windows of 2
    and 4 elements produce exact halves on both sides of the int8 zero."""
    m = Model(seed=50)
    for op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        pool(m, op, [1, 6, 6, 5], (2, 2), (2, 2), VALID, act)
        pool(m, op, [2, 7, 5, 3], (3, 3), (1, 1), SAME, act, q=(0.02, 200))
        pool(m, op, [1, 5, 8, 4], (1, 2), (1, 2), VALID, act, q=(0.1, 3))
    check_against_litert(m.build(), tmp_path, n=4)


def test_average_pool_rounding_ties(tmp_path: Path, require_cc: str) -> None:
    """Pairs (u, u+1) for every u: every tie, below and above 128."""
    m = Model()
    pool(m, "AVERAGE_POOL_2D", [1, 1, 256, 1], (1, 2), (1, 1), VALID)
    u = np.arange(256)
    x = np.stack([u, np.minimum(u + 1, 255)], axis=1).reshape(1, 1, 512, 1)[:, :, :256]
    check_against_litert(m.build(), tmp_path, inputs=[[x.astype(np.uint8)]])


# ---- element-wise binary ops ----------------------------------------------------------------


def binary(
    m: Model,
    op: str,
    a_shape: list[int],
    b_shape: list[int],
    aq: Q,
    bq: Q,
    yq: Q,
    act: int | None = None,
    const_b: bool = False,
) -> None:
    a = m.input(a_shape, aq)
    if const_b:
        data = m.rng.integers(0, 256, b_shape).astype(np.uint8)
        b = m.const(data, scale=bq[0], zero_point=bq[1])
    else:
        b = m.input(b_shape, bq)
    out = list(np.broadcast_shapes(tuple(a_shape), tuple(b_shape)))
    y = m.output(out, yq)
    opts = None
    if act is not None:
        cls = {"ADD": "AddOptionsT", "SUB": "SubOptionsT", "MUL": "MulOptionsT"}[op]
        opts = options(cls, fusedActivationFunction=act)
    m.op(op, [a, b], [y], opts)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_add_sub_mul(tmp_path: Path, require_cc: str, op: str) -> None:
    m = Model(seed=60)
    for act in ACTS:
        binary(m, op, [1, 4, 4, 3], [1, 4, 4, 3], (0.05, 120), (0.03, 140), (0.07, 128), act)
    binary(m, op, [2, 3, 4, 5], [4, 1], (0.02, 0), (0.1, 255), (0.06, 30), ACT.NONE)
    binary(m, op, [3, 1, 5], [1, 4, 1], (0.2, 90), (0.2, 90), (0.01, 200), ACT.RELU)
    binary(m, op, [1, 6, 6, 4], [4], (0.04, 128), (0.05, 77), (0.05, 128), None, const_b=True)
    check_against_litert(m.build(), tmp_path, n=3)


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
def test_maximum_minimum(tmp_path: Path, require_cc: str, op: str) -> None:
    m = Model(seed=61)
    q = (0.05, 130)
    binary(m, op, [1, 4, 4, 3], [1, 4, 4, 3], q, q, q)
    binary(m, op, [2, 3, 4], [4], q, q, q, const_b=True)
    check_against_litert(m.build(), tmp_path, n=3)


# ---- CONCATENATION --------------------------------------------------------------------------


def concat(m: Model, shapes: list[list[int]], qs: list[Q], out_q: Q, axis: int) -> None:
    xs = [m.input(sh, q) for sh, q in zip(shapes, qs, strict=True)]
    out = list(shapes[0])
    out[axis] = sum(sh[axis] for sh in shapes)
    y = m.output(out, out_q)
    m.op("CONCATENATION", xs, [y], options("ConcatenationOptionsT", axis=axis))


def test_concat_rescaling(tmp_path: Path, require_cc: str) -> None:
    """uint8 CONCATENATION rescales inputs quantized differently (ConcatenationWithScaling)."""
    m = Model(seed=70)
    out_q = (0.05, 128)
    qs = [(0.05, 128), (0.08, 128), (0.05, 100), (0.031, 7)]
    for axis in range(4):
        shapes = [[2, 3, 4, 5] for _ in qs]
        for sh, n in zip(shapes, [1, 2, 3, 2], strict=True):
            sh[axis] = n
        concat(m, shapes, qs, out_q, axis)
    concat(m, [[2, 5], [2, 3]], [(0.5, 255), (1e-3, 0)], (0.01, 20), 1)  # saturation both ways
    model = m.build()
    assert "mcu_copy_lut_s8" in kernels_of(model, tmp_path)
    check_against_litert(model, tmp_path, n=3)


#: (input, output) quantizations where ``u * scale + bias`` rounded once (an FMA) and twice
#: (float32 multiply, then add) give different outputs for some uint8 value.
FMA_SENSITIVE: list[tuple[Q, Q]] = [
    ((0.18945422768592834, 119), (0.11740828305482864, 166)),
    ((0.12123890221118927, 174), (0.021521715447306633, 64)),
    ((0.17485935986042023, 6), (0.16509564220905304, 114)),
    ((0.1708580106496811, 222), (0.1433003842830658, 63)),
]


def _fma_table(qa: Q, qo: Q) -> np.ndarray:
    f32 = np.float32
    scale = f32(f32(qa[0]) * f32(f32(1.0) / f32(qo[0])))
    bias = f32(f32(-qa[1]) * scale)
    v = (np.arange(256) * float(scale) + float(bias)).astype(np.float32).astype(np.float64)
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return (np.clip(r.astype(np.int64) + qo[1], 0, 255) - 128).astype(np.int8)


def test_concat_rescaling_table_rule(tmp_path: Path, require_cc: str) -> None:
    """Random and FMA-sensitive scale pairs on every uint8 value: the float32 table (two
    roundings, as LiteRT's x86-64 build computes it) is exact."""
    rng = np.random.default_rng(71)
    m = Model(seed=71)
    pairs = list(FMA_SENSITIVE)
    for _ in range(8):
        qa = (float(rng.uniform(0.001, 0.2)), int(rng.integers(0, 256)))
        qo = (float(rng.uniform(0.001, 0.2)), int(rng.integers(0, 256)))
        pairs.append((qa, qo))
    for qa, qo in pairs:
        concat(m, [[1, 256], [1, 3]], [qa, qo], qo, 1)
    for qa, qo in FMA_SENSITIVE:
        table = concat_rescale_table(qa[0], qa[1], qo[0], qo[1])
        assert np.any(table != _fma_table(qa, qo))
    model = m.build()
    check_against_litert(model, tmp_path, inputs=every_value_inputs(model, tmp_path, rng))


def test_concat_constant_input(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=72)
    x = m.input([3, 4], (0.05, 128))
    c = m.const(np.arange(6, dtype=np.uint8).reshape(3, 2) * 40, scale=0.1, zero_point=50)
    y = m.output([3, 6], (0.05, 128))
    m.op("CONCATENATION", [c, x], [y], options("ConcatenationOptionsT", axis=1))
    check_against_litert(m.build(), tmp_path)


# ---- element-wise activations (every uint8 value) -------------------------------------------


def unary(m: Model, op: str, shape: list[int], in_q: Q, out_q: Q, opts: Any = None) -> None:
    x = m.input(shape, in_q)
    y = m.output(shape, out_q)
    m.op(op, [x], [y], opts)


def test_lut_activations_every_value(tmp_path: Path, require_cc: str) -> None:
    m = Model()
    shape = [1, 16, 16]
    for in_q in [(0.05, 128), (0.1, 30), (0.02, 250)]:
        unary(m, "LOGISTIC", shape, in_q, (1 / 256, 0))
        unary(m, "LOGISTIC", shape, in_q, (1 / 256, 10))  # LiteRT checks only the scale
        unary(m, "TANH", shape, in_q, (1 / 128, 128))
        unary(m, "RELU", shape, in_q, (0.04, 0))
        unary(m, "RELU6", shape, in_q, (6 / 255, 0))
        unary(m, "RELU_N1_TO_1", shape, in_q, (2 / 255, 128))
        unary(m, "RELU", shape, in_q, (0.01, 120))  # output scale smaller: saturation
        unary(m, "LEAKY_RELU", shape, in_q, (0.03, 100), options("LeakyReluOptionsT", alpha=0.2))
        unary(m, "LEAKY_RELU", shape, in_q, (0.05, 10), options("LeakyReluOptionsT", alpha=-1.5))
        unary(m, "HARD_SWISH", shape, in_q, (0.04, 30))
    model = m.build()
    rng = np.random.default_rng(80)
    check_against_litert(model, tmp_path, inputs=every_value_inputs(model, tmp_path, rng))


def test_softmax(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=81)
    for beta, in_q, shape in [
        (1.0, (0.1, 128), [2, 10]),
        (0.5, (0.05, 0), [1, 3, 7]),
        (2.0, (0.2, 255), [4, 1, 33]),
        (1.0, (0.02, 77), [1, 5]),
    ]:
        unary(m, "SOFTMAX", shape, in_q, (1 / 256, 0), options("SoftmaxOptionsT", beta=beta))
    # LiteRT checks no uint8 output quantization (it computes as for 1/256 and 0 regardless)
    unary(m, "SOFTMAX", [3, 9], (0.1, 100), (0.01, 10), options("SoftmaxOptionsT", beta=1.0))
    check_against_litert(m.build(), tmp_path, n=4)


def test_prelu(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=82)
    for xq, aq, yq, a_shape in [
        ((0.05, 128), (0.01, 128), (0.05, 128), [1, 1, 6]),
        ((0.05, 3), (0.02, 200), (0.04, 100), [4, 4, 6]),
        ((0.1, 250), (0.5, 10), (0.001, 0), [6]),
    ]:
        x = m.input([1, 4, 4, 6], xq)
        alpha = m.const(
            m.rng.integers(0, 256, a_shape).astype(np.uint8), scale=aq[0], zero_point=aq[1]
        )
        y = m.output([1, 4, 4, 6], yq)
        m.op("PRELU", [x, alpha], [y])
    check_against_litert(m.build(), tmp_path, n=3)


# ---- data movement, MEAN, resize, quantize --------------------------------------------------


def test_movement_ops(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=90)
    q = (0.05, 140)
    x = m.input([1, 3, 4, 2], q)
    y = m.output([1, 5, 7, 2], q)
    m.op("PAD", [x, m.const(np.array([[0, 0], [1, 1], [2, 1], [0, 0]], np.int32))], [y])
    x = m.input([2, 3, 2], q)
    y = m.output([2, 4, 5], q)
    pads = m.const(np.array([[0, 0], [1, 0], [1, 2]], np.int32))
    v = m.const(np.array([250], np.uint8), scale=q[0], zero_point=q[1])
    m.op("PADV2", [x, pads, v], [y])
    x = m.input([2, 3, 4], q)
    y = m.output([4, 6], q)
    m.op("RESHAPE", [x, m.const(np.array([4, 6], np.int32))], [y])
    x = m.input([2, 3, 4], q)
    y = m.output([4, 2, 3], q)
    m.op("TRANSPOSE", [x, m.const(np.array([2, 0, 1], np.int32))], [y])
    x = m.input([4, 6], q)
    y = m.output([2, 2], q)
    begin, end, strides = (np.array(v, np.int32) for v in ([1, 0], [4, 6], [2, 4]))
    m.op("STRIDED_SLICE", [x, m.const(begin), m.const(end), m.const(strides)], [y])
    x = m.input([1, 3, 4, 2], q)
    y = m.output([1, 6, 7, 2], q)
    m.op(
        "RESIZE_NEAREST_NEIGHBOR",
        [x, m.const(np.array([6, 7], np.int32))],
        [y],
        options("ResizeNearestNeighborOptionsT", halfPixelCenters=True),
    )
    x = m.input([2, 6, 3], q)
    ys = [m.output([2, 2, 3], q), m.output([2, 4, 3], q)]
    splits = m.const(np.array([2, 4], np.int32))
    axis = m.const(np.array([1], np.int32))
    m.op("SPLIT_V", [x, splits, axis], ys, options("SplitVOptionsT", numSplits=2))
    x = m.input([1, 3, 1, 4], q)
    y = m.output([3, 4], q)
    m.op("SQUEEZE", [x], [y], options("SqueezeOptionsT", squeezeDims=[0, 2]))
    x = m.input([2, 7], q)
    y = m.output([2], dtype="int32")
    m.op(
        "ARG_MAX",
        [x, m.const(np.array([1], np.int32))],
        [y],
        options("ArgMaxOptionsT", outputType=s.TensorType.INT32),
    )
    check_against_litert(m.build(), tmp_path, n=4)


def test_mean(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=91)
    for axes, keep, in_q, out_q in [
        ([1, 2], True, (0.05, 128), (0.05, 128)),
        ([1, 2], False, (0.05, 10), (0.02, 200)),
        ([3], True, (0.1, 255), (0.03, 0)),
        ([0, 2], False, (0.04, 77), (0.04, 77)),
    ]:
        shape = [2, 5, 6, 4]
        out = [1 if i in axes else d for i, d in enumerate(shape)]
        if not keep:
            out = [d for i, d in enumerate(shape) if i not in axes]
        x = m.input(shape, in_q)
        y = m.output(out, out_q)
        ax = m.const(np.array(axes, np.int32))
        m.op("MEAN", [x, ax], [y], options("ReducerOptionsT", keepDims=keep))
    check_against_litert(m.build(), tmp_path, n=3)


@pytest.mark.parametrize(("ac", "hpc"), [(False, False), (True, False), (False, True)])
def test_resize_bilinear(tmp_path: Path, require_cc: str, ac: bool, hpc: bool) -> None:
    """uint8 RESIZE_BILINEAR interpolates in float (the int8 rule is 10-bit fixed point)."""
    m = Model(seed=92)
    q = (0.05, 128)
    for hw, size in [((4, 5), (8, 10)), ((5, 3), (7, 8)), ((9, 7), (4, 3)), ((2, 3), (17, 29))]:
        x = m.input([2, *hw, 3], q)
        y = m.output([2, *size, 3], q)
        opts = options("ResizeBilinearOptionsT", alignCorners=ac, halfPixelCenters=hpc)
        m.op("RESIZE_BILINEAR", [x, m.const(np.array(size, np.int32))], [y], opts)
    model = m.build()
    assert "mcu_resize_bilinear_float_s8" in kernels_of(model, tmp_path)
    check_against_litert(model, tmp_path, n=3)


def test_quantize_dequantize(tmp_path: Path, require_cc: str) -> None:
    m = Model(seed=93)
    x = m.input([2, 9], dtype="float32")
    m.op("QUANTIZE", [x], [m.output([2, 9], (0.01, 100))])
    x = m.input([3, 5], (0.05, 128))
    m.op("QUANTIZE", [x], [m.output([3, 5], (0.03, 60))])  # uint8 -> uint8
    x = m.input([3, 5], (0.05, 100))
    m.op("QUANTIZE", [x], [m.output([3, 5], (0.02, -5), dtype="int8")])  # uint8 -> int8
    x = m.input([3, 5], (0.05, -20), dtype="int8")
    m.op("QUANTIZE", [x], [m.output([3, 5], (0.05, 108))])  # int8 -> uint8
    x = m.input([4, 3], (0.07, 140))
    m.op("DEQUANTIZE", [x], [m.output([4, 3], dtype="float32")])
    check_against_litert(m.build(), tmp_path, n=3)


# ---- whole uint8 models ---------------------------------------------------------------------


def multilayer_model() -> bytes:
    """A small uint8 CNN: conv -> depthwise -> avg pool -> concat (rescaled branch) -> conv 1x1
    -> mean -> FC -> softmax, plus an ADD with a constant and an internal PAD."""
    m = Model(seed=100)
    x = m.input([1, 10, 10, 3], (1 / 255, 0))
    t1 = m.inner([1, 10, 10, 8], (0.03, 0))
    m.op(
        "CONV_2D",
        [x, m.weights((8, 3, 3, 3), (0.02, 131)), m.bias(8, 0.02 / 255)],
        [t1],
        options(
            "Conv2DOptionsT", padding=SAME, strideH=1, strideW=1, fusedActivationFunction=ACT.RELU6
        ),
    )
    t2 = m.inner([1, 5, 5, 8], (0.05, 0))
    m.op(
        "DEPTHWISE_CONV_2D",
        [t1, m.weights((1, 3, 3, 8), (0.03, 120)), m.bias(8, 0.03 * 0.03)],
        [t2],
        options(
            "DepthwiseConv2DOptionsT",
            padding=SAME,
            strideH=2,
            strideW=2,
            depthMultiplier=1,
            fusedActivationFunction=ACT.RELU,
        ),
    )
    t3 = m.inner([1, 5, 5, 8], (0.05, 0))
    m.op(
        "AVERAGE_POOL_2D",
        [t2],
        [t3],
        options(
            "Pool2DOptionsT", padding=SAME, strideH=1, strideW=1, filterHeight=3, filterWidth=3
        ),
    )
    t4 = m.inner([1, 5, 5, 8], (0.04, 128))
    c = m.const(m.rng.integers(0, 256, (1, 1, 1, 8)).astype(np.uint8), scale=0.02, zero_point=128)
    m.op("ADD", [t2, c], [t4], options("AddOptionsT", fusedActivationFunction=ACT.NONE))
    t5 = m.inner([1, 5, 5, 16], (0.05, 0))
    m.op("CONCATENATION", [t3, t4], [t5], options("ConcatenationOptionsT", axis=3))
    t6 = m.inner([1, 7, 7, 16], (0.05, 0))
    m.op("PAD", [t5, m.const(np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))], [t6])
    t7 = m.inner([1, 7, 7, 12], (0.06, 5))
    m.op(
        "CONV_2D",
        [t6, m.weights((12, 1, 1, 16), (0.01, 128)), m.bias(12, 0.05 * 0.01)],
        [t7],
        options("Conv2DOptionsT", padding=VALID, strideH=1, strideW=1),
    )
    t8 = m.inner([1, 12], (0.04, 10))
    m.op("MEAN", [t7, m.const(np.array([1, 2], np.int32))], [t8], options("ReducerOptionsT"))
    t9 = m.inner([1, 6], (0.1, 140))
    m.op(
        "FULLY_CONNECTED",
        [t8, m.weights((6, 12), (0.02, 133)), m.bias(6, 0.04 * 0.02)],
        [t9],
        options("FullyConnectedOptionsT"),
    )
    y = m.output([1, 6], (1 / 256, 0))
    m.op("SOFTMAX", [t9], [y], options("SoftmaxOptionsT", beta=1.0))
    y2 = m.output([1, 5, 5, 8], (0.04, 128))  # an internal tensor that is also an output
    m.op("RELU", [t4], [y2])
    return m.build()


def test_multilayer_model(tmp_path: Path, require_cc: str) -> None:
    model = multilayer_model()
    check_against_litert(model, tmp_path, n=5)
    ks = kernels_of(model, tmp_path)
    assert ks.count("mcu_quantize_u8_s8") == 1  # the model input
    assert ks.count("mcu_quantize_s8_u8") == 2  # the two outputs
    assert "mcu_avgpool2d_roundup_s8" in ks and "mcu_copy_lut_s8" in ks


def test_pass_keeps_uint8_io_and_marks_nodes(tmp_path: Path) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(multilayer_model())
    g = optimize(load_model(path))
    before = len(g.nodes)
    low, owner = uint8_to_int8.rewritten_copy(g)
    assert len(g.nodes) == before and all(t.dtype is DType.UINT8 for t in g.inputs)
    assert all(not from_uint8(n) for n in g.nodes)  # the original graph is untouched
    assert [t.dtype for t in low.inputs] == [DType.UINT8]
    assert [t.dtype for t in low.outputs] == [DType.UINT8, DType.UINT8]
    assert len(low.nodes) == before + 3 and all(i is not None for i in owner)
    inner = [t for n in low.nodes for t in [*n.inputs, *n.outputs] if t is not None]
    io = {t.uid for t in [*low.inputs, *low.outputs]}
    assert all(t.dtype is not DType.UINT8 for t in inner if t.uid not in io)
    assert all(from_uint8(n) for n in low.nodes)
    w = low.nodes[1].input(1)
    assert w.dtype is DType.INT8 and w.quant is not None and int(w.quant.zero_point) == 3


def test_analyze_matches_generate(tmp_path: Path) -> None:
    """analyze describes the uint8 model and reports the kernels and arena generate uses."""
    path = tmp_path / "m.tflite"
    path.write_bytes(multilayer_model())
    rep = analyze(path)
    code = generate(path, name="m")
    assert all(la.output_dtype == "uint8" for la in rep.layers if la.op != "arg_max")
    assert all(la.no_kernel is None for la in rep.layers)
    assert sorted(k for la in rep.layers for k in la.kernels) == sorted(
        k for la in code.layers for k in la["kernels"]
    )
    assert rep.arena_bytes == code.arena_size
    data = json.loads(json.dumps(rep.to_json()))
    assert data["inputs"][0]["dtype"] == "uint8"


def test_uint8_io_around_int8_model_adds_no_conversion(tmp_path: Path, require_cc: str) -> None:
    """uint8 I/O with QUANTIZE nodes around an int8 layer: nothing to rewrite."""
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4, 4, 3], "uint8", scale=0.02, zero_point=128)
    xi = b.tensor("xi", [1, 4, 4, 3], "int8", scale=0.02, zero_point=0)
    yi = b.tensor("yi", [1, 4, 4, 3], "int8", scale=0.02, zero_point=-128)
    y = b.tensor("y", [1, 4, 4, 3], "uint8", scale=0.02, zero_point=0)
    b.op("QUANTIZE", [x], [xi])
    b.op("RELU", [xi], [yi])
    b.op("QUANTIZE", [yi], [y])
    model = b.build([x], [y])
    assert kernels_of(model, tmp_path) == ["mcu_quantize_u8_s8", "mcu_lut_s8", "mcu_quantize_s8_u8"]
    check_against_litert(model, tmp_path)


def test_int8_models_unchanged(tmp_path: Path) -> None:
    """The pass leaves graphs without uint8 tensors alone (same object, same nodes)."""
    from conftest import EXAMPLE

    g = optimize(load_model(EXAMPLE))
    nodes = list(g.nodes)
    assert uint8_to_int8.run(g) is g and g.nodes == nodes
    assert all(not from_uint8(n) for n in g.nodes)
    low, owner = uint8_to_int8.rewritten_copy(g)
    assert low is g and owner == list(range(len(nodes)))


def test_new_kernels_under_sanitizers(tmp_path: Path, require_cc: str) -> None:
    """ASan/UBSan run of a model using every uint8-specific kernel, against the plain build."""
    import subprocess

    from mcuai.targets.harness import host_harness
    from mcuai.targets.host import HostModel, build

    m = Model(seed=110)
    conv(m, [1, 6, 5, 3], 4, (3, 3), stride=(2, 1), dilation=(1, 2))
    dw(m, [1, 6, 6, 2], 2, (3, 3), stride=(2, 2))
    tconv(m, [1, 3, 4, 2], 3, (3, 3), (2, 2), SAME)
    pool(m, "AVERAGE_POOL_2D", [1, 5, 5, 3], (3, 3), (2, 2), SAME)
    concat(m, [[1, 2, 3, 2], [1, 2, 3, 5]], [(0.05, 128), (0.03, 90)], (0.05, 128), 3)
    x = m.input([1, 3, 4, 2], (0.05, 128))
    y = m.output([1, 7, 5, 2], (0.05, 128))
    opts = options("ResizeBilinearOptionsT", halfPixelCenters=True)
    m.op("RESIZE_BILINEAR", [x, m.const(np.array([7, 5], np.int32))], [y], opts)
    model = m.build()
    check_against_litert(model, tmp_path, n=2)
    path = tmp_path / "san.tflite"
    path.write_bytes(model)
    code = generate(path, name="san")
    used = {k for la in code.layers for k in la["kernels"]}
    assert {
        "mcu_conv2d_asym_s8",
        "mcu_dwconv2d_asym_s8",
        "mcu_tconv2d_asym_s8",
        "mcu_avgpool2d_roundup_s8",
        "mcu_copy_lut_s8",
        "mcu_resize_bilinear_float_s8",
    } <= used
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    rng = np.random.default_rng(9)
    xs = [rng.integers(0, 256, io.tensor.shape).astype(np.uint8) for io in code.inputs]
    files = []
    for i, a in enumerate(xs):
        (tmp_path / f"in{i}").write_bytes(a.tobytes())
        files.append(str(tmp_path / f"in{i}"))
    outs = [tmp_path / f"out{j}" for j in range(len(code.outputs))]
    r = subprocess.run(
        [str(exe), *files, *map(str, outs)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run(xs)
    for o, want in zip(outs, ref, strict=True):
        np.testing.assert_array_equal(np.frombuffer(o.read_bytes(), np.uint8), want.reshape(-1))


def test_unsupported_uint8_combination_is_named(tmp_path: Path) -> None:
    """uint8 FULLY_CONNECTED with an int16 output (an old LSTM form): no kernel, and the error
    says the layer is a uint8 one stored as int8."""
    m = Model(seed=120)
    x = m.input([1, 8], (0.02, 128))
    w = m.weights((4, 8), (0.01, 128))
    y = m.output([1, 4], (1 / 4096, 0), dtype="int16")
    m.op("FULLY_CONNECTED", [x, w, m.bias(4, 0.0002)], [y], options("FullyConnectedOptionsT"))
    path = tmp_path / "fc16.tflite"
    path.write_bytes(m.build())
    with pytest.raises(
        UnsupportedError, match=r"int8 -> int16 \(uint8 tensors stored as int8\) yet"
    ):
        generate(path)
    assert analyze(path).layers[0].no_kernel is not None


def test_layer_mixing_uint8_and_int8_refused(tmp_path: Path) -> None:
    """PRELU with uint8 data and an int8 alpha: LiteRT accepts it, but the rewrite would make
    both int8; mcuai refuses the layer."""
    m = Model(seed=121)
    x = m.input([1, 4], (0.02, 128))
    alpha = m.const(np.array([3, -2, 1, 0], np.int8), scale=0.01, zero_point=0)
    y = m.output([1, 4], (0.05, 128))
    m.op("PRELU", [x, alpha], [y])
    path = tmp_path / "mixed.tflite"
    path.write_bytes(m.build())
    with pytest.raises(UnsupportedError, match="mixes quantized uint8 and int8 tensors"):
        generate(path)
