"""CONV_2D against LiteRT BUILTIN_REF: int8 (generic kernel and the 1x1 variant: strides,
padding, dilation, activations, per-channel and per-tensor weights, groups) and 16x8 (int16
activations, int64 or int32 bias, the seanet golden layer from TFLite Micro)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from conftest import corpus_model
from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.ops._common import conv_out_size, same_padding

pytestmark = [pytest.mark.cc, pytest.mark.ref]
ACT = s.ActivationFunctionType


def conv_model(
    in_shape: tuple[int, int, int, int],
    cout: int,
    k: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: int = s.Padding.SAME,
    act: int = ACT.NONE,
    per_channel: bool = True,
    bias: bool = True,
    groups: int = 1,
    seed: int = 0,
    in_q: tuple[float, int] = (0.02, -5),
    out_q: tuple[float, int] = (0.05, 3),
    dtype: str = "int8",
    bias_dtype: str = "int32",
    bias_range: int = 5000,
    w_scale: float = 0.004,
) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, cin = in_shape
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), dtype, scale=in_q[0], zero_point=in_q[1])
    wdata = rng.integers(-127, 128, (cout, k[0], k[1], cin // groups)).astype(np.int8)
    if per_channel:
        ws = [float(v) for v in rng.uniform(0.001, 0.01, cout)]
        wt = b.const("w", wdata, scale=ws, zero_point=[0] * cout)
    else:
        ws = [w_scale] * cout
        wt = b.const("w", wdata, scale=w_scale, zero_point=0)
    ins = [x, wt]
    if bias:
        bdata = rng.integers(-bias_range, bias_range, cout).astype(bias_dtype)
        ins.append(b.const("bias", bdata, scale=[in_q[0] * v for v in ws], zero_point=[0] * cout))
    if padding == s.Padding.SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh = conv_out_size(h, k[0], stride[0], dilation[0], 0)
        ow = conv_out_size(w, k[1], stride[1], dilation[1], 0)
    assert same_padding(h, k[0], stride[0], dilation[0])  # helper exercised
    y = b.tensor("y", [n, oh, ow, cout], dtype, scale=out_q[0], zero_point=out_q[1])
    opts = options(
        "Conv2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        dilationHFactor=dilation[0],
        dilationWFactor=dilation[1],
        fusedActivationFunction=act,
        # LiteRT reads a 16x8 bias as int64 unless the options say int32
        quantizedBiasType=s.TensorType.INT32 if bias_dtype == "int32" else s.TensorType.INT64,
    )
    b.op("CONV_2D", ins, [y], opts, version=3 if dtype == "int8" else 4)
    return b.build([x], [y])


@pytest.mark.parametrize(
    ("stride", "padding"),
    [
        ((1, 1), s.Padding.SAME),
        ((2, 2), s.Padding.SAME),
        ((2, 1), s.Padding.VALID),
        ((3, 2), s.Padding.VALID),
    ],
)
@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_conv_strides_padding_activations(
    tmp_path: Path, require_cc: str, stride: tuple[int, int], padding: int, act: int
) -> None:
    m = conv_model((1, 9, 8, 5), 6, (3, 3), stride=stride, padding=padding, act=act)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("k", [(1, 1), (3, 3), (5, 2)])
def test_conv_kernels_and_weight_granularity(
    tmp_path: Path, require_cc: str, per_channel: bool, k: tuple[int, int]
) -> None:
    m = conv_model((2, 7, 7, 8), 4, k, per_channel=per_channel, seed=3)
    check_against_litert(m, tmp_path)


def test_conv_dilation(tmp_path: Path, require_cc: str) -> None:
    m = conv_model((1, 12, 11, 3), 5, (3, 3), dilation=(2, 3), seed=7)
    check_against_litert(m, tmp_path)


def test_conv_groups(tmp_path: Path, require_cc: str) -> None:
    m = conv_model((1, 6, 6, 8), 6, (3, 3), groups=2, seed=5)
    check_against_litert(m, tmp_path)


def test_conv_saturation(tmp_path: Path, require_cc: str) -> None:
    # a tiny output scale drives most accumulators past int8: checks clamping
    m = conv_model((1, 6, 6, 16), 8, (3, 3), out_q=(0.0005, -100), seed=11)
    check_against_litert(m, tmp_path)


def kernels_of(model: bytes, tmp_path: Path) -> list[str]:
    p = tmp_path / "k.tflite"
    p.write_bytes(model)
    return [k for la in generate(p, name="k").layers for k in la["kernels"]]


# ---- 1x1 variant -----------------------------------------------------------------------------


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize(
    ("in_shape", "cout"),
    [((1, 4, 4, 8), 6), ((1, 3, 5, 7), 5), ((2, 3, 3, 16), 3), ((1, 1, 1, 9), 1)],
)
def test_conv1x1_variant(
    tmp_path: Path,
    require_cc: str,
    per_channel: bool,
    in_shape: tuple[int, int, int, int],
    cout: int,
) -> None:
    # odd pixel counts and odd channel counts exercise the 2x2 blocking remainders
    m = conv_model(in_shape, cout, (1, 1), per_channel=per_channel, seed=cout)
    assert kernels_of(m, tmp_path) == ["mcu_conv2d_1x1_s8"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_conv1x1_activations(tmp_path: Path, require_cc: str, act: int) -> None:
    m = conv_model((1, 5, 5, 12), 10, (1, 1), act=act, padding=s.Padding.VALID, seed=act)
    assert kernels_of(m, tmp_path) == ["mcu_conv2d_1x1_s8"]
    check_against_litert(m, tmp_path)


def test_conv1x1_saturation_and_extreme_zero_point(tmp_path: Path, require_cc: str) -> None:
    m = conv_model((1, 4, 4, 32), 8, (1, 1), in_q=(0.02, -128), out_q=(0.0005, 127), seed=2)
    check_against_litert(m, tmp_path)


def test_conv1x1_rounding_ties(tmp_path: Path, require_cc: str) -> None:
    # s_x * s_w / s_y = 2^-8 exactly: one accumulator in 256 is a tie (half away from zero)
    m = conv_model(
        (1, 8, 8, 4),
        16,
        (1, 1),
        per_channel=False,
        in_q=(0.0625, 3),
        out_q=(1.0, -1),
        w_scale=0.0625,
        seed=8,
    )
    check_against_litert(m, tmp_path, n=8)


@pytest.mark.parametrize(("stride", "groups"), [((2, 2), 1), ((1, 1), 2)])
def test_conv1x1_other_cases_use_generic_kernel(
    tmp_path: Path, require_cc: str, stride: tuple[int, int], groups: int
) -> None:
    m = conv_model((1, 6, 6, 8), 4, (1, 1), stride=stride, groups=groups, seed=6)
    assert kernels_of(m, tmp_path) == ["mcu_conv2d_s8"]
    check_against_litert(m, tmp_path)


# ---- 16x8 ------------------------------------------------------------------------------------

Q16_IN = (0.0005, 0)
Q16_OUT = (0.002, 0)


@pytest.mark.parametrize("bias_dtype", ["int64", "int32"])
@pytest.mark.parametrize(
    ("k", "stride", "padding", "dilation"),
    [
        ((3, 3), (1, 1), s.Padding.SAME, (1, 1)),
        ((3, 2), (2, 2), s.Padding.SAME, (1, 1)),
        ((3, 3), (2, 1), s.Padding.VALID, (1, 1)),
        ((3, 3), (1, 1), s.Padding.SAME, (2, 2)),
        ((1, 1), (1, 1), s.Padding.VALID, (1, 1)),
    ],
)
def test_conv16x8_geometry(
    tmp_path: Path,
    require_cc: str,
    bias_dtype: str,
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
    dilation: tuple[int, int],
) -> None:
    m = conv_model(
        (1, 9, 8, 5),
        6,
        k,
        stride=stride,
        padding=padding,
        dilation=dilation,
        dtype="int16",
        bias_dtype=bias_dtype,
        in_q=Q16_IN,
        out_q=Q16_OUT,
        bias_range=300000,
        seed=1,
    )
    assert kernels_of(m, tmp_path) == ["mcu_conv2d_s16"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
@pytest.mark.parametrize("per_channel", [True, False])
def test_conv16x8_activations_granularity(
    tmp_path: Path, require_cc: str, act: int, per_channel: bool
) -> None:
    m = conv_model(
        (2, 6, 6, 4),
        5,
        (3, 3),
        act=act,
        per_channel=per_channel,
        dtype="int16",
        bias_dtype="int64",
        in_q=(0.0002, 0),
        out_q=(0.0001, 0),
        bias_range=300000,
        seed=act,
    )
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("bias_dtype", ["int64", "int32"])
def test_conv16x8_groups_saturation(tmp_path: Path, require_cc: str, bias_dtype: str) -> None:
    m = conv_model(
        (1, 6, 6, 8),
        6,
        (3, 3),
        groups=2,
        dtype="int16",
        bias_dtype=bias_dtype,
        in_q=Q16_IN,
        out_q=(0.00002, 0),
        bias_range=300000,
        seed=4,
    )
    check_against_litert(m, tmp_path)


@pytest.mark.corpus
def test_conv16x8_seanet_golden(tmp_path: Path, require_cc: str) -> None:
    """TFLite Micro's seanet integration case: a 7x7 16x8 CONV_2D with int64 bias, with the
    golden output TFLM ships (LiteRT reproduces it too)."""
    path = corpus_model("tflm/seanet_int16x8_golden/conv0.tflite")
    folder = path.parent
    x = np.loadtxt(folder / "conv0_input0_int16.csv", delimiter=",", dtype=np.int16)
    gold = np.loadtxt(folder / "conv0_golden_int16.csv", delimiter=",", dtype=np.int16)
    x = x.reshape(1, 8, 166, 2)
    check_against_litert(path.read_bytes(), tmp_path, inputs=[[x]])
    from mcuai.targets.host import HostModel, build

    code = generate(path, name="conv0")
    got, _ = HostModel(code, build(code)).run([x])
    assert np.array_equal(got[0].reshape(-1), gold.reshape(-1))


# ---- the whole family chained, against LiteRT and under ASan/UBSan ----------------------------


def _family_chain(dtype: str) -> bytes:
    """int8: conv 3x3 -> depthwise 3x3 (x2) -> depthwise 5x5/2 -> conv 1x1 -> transpose conv /2
    -> fully connected; 16x8: conv 3x3 -> fully connected (keep_num_dims)."""
    rng = np.random.default_rng(21)
    b = TFLiteBuilder()
    q16 = dtype == "int16"
    bias_t = "int64" if q16 else "int32"
    qbt = s.TensorType.INT64 if q16 else s.TensorType.INT32

    def act(name: str, shape: list[int], scale: float, zp: int) -> int:
        return b.tensor(name, shape, dtype, scale=scale, zero_point=0 if q16 else zp)

    def weights(name: str, shape: tuple[int, ...], axis: int, sx: float) -> list[int]:
        c = shape[axis]
        ws = [float(v) for v in rng.uniform(0.002, 0.01, c)]
        w = b.const(
            name,
            rng.integers(-127, 128, shape).astype(np.int8),
            scale=ws,
            zero_point=[0] * c,
            axis=axis,
        )
        bd = rng.integers(-3000, 3000, c).astype(bias_t)
        bias = b.const(name + "_b", bd, scale=[sx * v for v in ws], zero_point=[0] * c)
        return [w, bias]

    s0, s1 = (0.0005, 0.001) if q16 else (0.02, 0.04)
    x = act("x", [1, 8, 8, 4], s0, -3)
    y1 = act("y1", [1, 8, 8, 6], s1, 5)
    conv = options(
        "Conv2DOptionsT",
        padding=s.Padding.SAME,
        strideH=1,
        strideW=1,
        dilationHFactor=1,
        dilationWFactor=1,
        fusedActivationFunction=ACT.RELU,
        quantizedBiasType=qbt,
    )
    b.op("CONV_2D", [x, *weights("w1", (6, 3, 3, 4), 0, s0)], [y1], conv, version=4)
    if q16:
        y2 = act("y2", [1, 8, 8, 5], s1, 0)
        fc = options("FullyConnectedOptionsT", keepNumDims=True, quantizedBiasType=qbt)
        b.op("FULLY_CONNECTED", [y1, *weights("w2", (5, 6), 0, s1)], [y2], fc, version=7)
        return b.build([x], [y2])
    y2 = act("y2", [1, 8, 8, 12], 0.05, -2)
    dw = options(
        "DepthwiseConv2DOptionsT",
        padding=s.Padding.SAME,
        strideH=1,
        strideW=1,
        depthMultiplier=2,
        dilationHFactor=1,
        dilationWFactor=1,
    )
    b.op("DEPTHWISE_CONV_2D", [y1, *weights("w2", (1, 3, 3, 12), 3, s1)], [y2], dw, version=6)
    y3 = act("y3", [1, 4, 4, 12], 0.05, 1)
    dw5 = options(
        "DepthwiseConv2DOptionsT",
        padding=s.Padding.SAME,
        strideH=2,
        strideW=2,
        depthMultiplier=1,
        dilationHFactor=1,
        dilationWFactor=1,
    )
    b.op("DEPTHWISE_CONV_2D", [y2, *weights("w3", (1, 5, 5, 12), 3, 0.05)], [y3], dw5, version=6)
    y4 = act("y4", [1, 4, 4, 5], 0.06, 0)
    b.op("CONV_2D", [y3, *weights("w4", (5, 1, 1, 12), 0, 0.05)], [y4], conv, version=4)
    y5 = act("y5", [1, 8, 8, 3], 0.05, 4)
    shape = b.const("shape", np.array([1, 8, 8, 3], np.int32))
    w5 = weights("w5", (3, 3, 3, 5), 0, 0.06)
    tc = options("TransposeConvOptionsT", padding=s.Padding.SAME, strideH=2, strideW=2)
    b.op("TRANSPOSE_CONV", [shape, w5[0], y4, w5[1]], [y5], tc, version=4)
    y6 = act("y6", [64, 4], 0.1, -1)
    b.op(
        "FULLY_CONNECTED",
        [y5, *weights("w6", (4, 3), 0, 0.05)],
        [y6],
        options("FullyConnectedOptionsT"),
        version=5,
    )
    return b.build([x], [y6])


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_family_chain_litert_and_sanitizers(tmp_path: Path, require_cc: str, dtype: str) -> None:
    import subprocess

    from mcuai.targets.harness import host_harness
    from mcuai.targets.host import HostModel, build

    model = _family_chain(dtype)
    check_against_litert(model, tmp_path, n=3)
    path = tmp_path / "chain.tflite"
    path.write_bytes(model)
    code = generate(path, name="chain")
    used = {k for la in code.layers for k in la["kernels"]}
    if dtype == "int8":
        # the depthwise layers are the peaks (768 -> 1,536 -> 192 B): they run in place with
        # an overlap (memory/overlap.py), so their kernel is the in-place one here
        assert used == {
            "mcu_conv2d_s8",
            "mcu_dwconv2d_inplace_s8",
            "mcu_conv2d_1x1_s8",
            "mcu_tconv2d_s8",
            "mcu_fc_s8",
        }
    else:
        assert used == {"mcu_conv2d_s16", "mcu_fc_s16"}
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    info = np.iinfo(np.dtype(dtype))
    x = np.random.default_rng(5).integers(info.min, info.max + 1, (1, 8, 8, 4)).astype(dtype)
    (tmp_path / "in0").write_bytes(x.tobytes())
    out = tmp_path / "out0"
    r = subprocess.run(
        [str(exe), str(tmp_path / "in0"), str(out)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run([x])
    np.testing.assert_array_equal(np.frombuffer(out.read_bytes(), dtype), ref[0].reshape(-1))
