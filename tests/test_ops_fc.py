"""FULLY_CONNECTED against LiteRT BUILTIN_REF: int8 (per-tensor and per-channel weights, weight
zero points, optional bias, keep_num_dims, batches, input rank > 2, every fused activation,
saturation, the float64 requantization rule) and 16x8 (int64/int32/no bias)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate

pytestmark = [pytest.mark.cc, pytest.mark.ref]
ACT = s.ActivationFunctionType


def fc_model(
    in_shape: tuple[int, ...],
    nout: int,
    act: int = ACT.NONE,
    per_channel: bool = False,
    bias: bool = True,
    keep_num_dims: bool = False,
    seed: int = 0,
    in_q: tuple[float, int] = (0.02, -5),
    out_q: tuple[float, int] = (0.05, 3),
    w_zp: int = 0,
    dtype: str = "int8",
    bias_dtype: str = "int32",
    bias_range: int = 3000,
    w_scale: float = 0.006,
    weights: np.ndarray | None = None,
    bias_data: np.ndarray | None = None,
) -> bytes:
    rng = np.random.default_rng(seed)
    nin = in_shape[-1]
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), dtype, scale=in_q[0], zero_point=in_q[1])
    wdata = rng.integers(-127, 128, (nout, nin)).astype(np.int8) if weights is None else weights
    if per_channel:
        ws = [float(v) for v in rng.uniform(0.001, 0.01, nout)]
        wt = b.const("w", wdata, scale=ws, zero_point=[0] * nout)
    else:
        ws = [w_scale] * nout
        wt = b.const("w", wdata, scale=w_scale, zero_point=w_zp)
    ins = [x, wt]
    if bias:
        bd = rng.integers(-bias_range, bias_range, nout) if bias_data is None else bias_data
        bscale = [float(np.float32(in_q[0]) * np.float32(v)) for v in ws]
        if per_channel:
            ins.append(b.const("bias", bd.astype(bias_dtype), scale=bscale, zero_point=[0] * nout))
        else:
            ins.append(b.const("bias", bd.astype(bias_dtype), scale=bscale[0], zero_point=0))
    flat = [int(np.prod(in_shape)) // nin, nout]
    out_shape = [*in_shape[:-1], nout] if keep_num_dims else flat
    y = b.tensor("y", out_shape, dtype, scale=out_q[0], zero_point=out_q[1])
    opts = options(
        "FullyConnectedOptionsT",
        fusedActivationFunction=act,
        keepNumDims=keep_num_dims,
        # LiteRT reads a 16x8 bias as int64 unless the options say int32
        quantizedBiasType=s.TensorType.INT32 if bias_dtype == "int32" else s.TensorType.INT64,
    )
    b.op("FULLY_CONNECTED", ins, [y], opts, version=5 if dtype == "int8" else 7)
    return b.build([x], [y])


def kernels_of(model: bytes, tmp_path: Path) -> list[str]:
    p = tmp_path / "k.tflite"
    p.write_bytes(model)
    return [k for la in generate(p, name="k").layers for k in la["kernels"]]


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_fc_activations_granularity(
    tmp_path: Path, require_cc: str, per_channel: bool, act: int
) -> None:
    m = fc_model((3, 37), 11, act=act, per_channel=per_channel, seed=act)
    assert kernels_of(m, tmp_path) == ["mcu_fc_s8"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nout", [1, 2, 7])
def test_fc_bias_and_output_counts(
    tmp_path: Path, require_cc: str, per_channel: bool, bias: bool, nout: int
) -> None:
    m = fc_model((2, 16), nout, per_channel=per_channel, bias=bias, seed=nout)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize(
    ("in_shape", "keep"),
    [
        ((2, 3, 10), True),
        ((2, 3, 10), False),
        ((1, 2, 3, 8), True),
        ((1, 2, 3, 8), False),
        ((30,), False),
        ((4, 6), True),
    ],
)
def test_fc_shapes_keep_num_dims(
    tmp_path: Path, require_cc: str, in_shape: tuple[int, ...], keep: bool
) -> None:
    m = fc_model(in_shape, 5, keep_num_dims=keep, per_channel=len(in_shape) % 2 == 0, seed=3)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("w_zp", [-7, 5])
def test_fc_weight_zero_point(tmp_path: Path, require_cc: str, w_zp: int) -> None:
    # per-tensor FC applies the weights' zero point (as uint8 models mapped to int8 have)
    m = fc_model((3, 20), 6, w_zp=w_zp, in_q=(0.02, 17), seed=5)
    check_against_litert(m, tmp_path)


def test_fc_long_rows_saturation(tmp_path: Path, require_cc: str) -> None:
    m = fc_model((2, 600), 9, in_q=(0.02, -128), out_q=(0.002, 100), per_channel=True, seed=6)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize(
    ("scales", "targets"),
    [
        # round((double)acc * S) and the fixed-point multiplier disagree on these accumulators
        (
            (0.013728450052440166, 0.010486279614269733, 0.03047342039644718),
            [-21062, -20850, -20638, -20427, -20215, -20003, -19792, -19580],
        ),
        # S = (double)s_x * (double)s_w / s_y gives -33/33, S = (double)(float)(s_x * s_w) / s_y
        # (the old GetQuantizedConvolutionMultipler product) would give -32/32
        ((0.02437218651175499, 0.0010517843766137958, 0.03448087349534035), [-43716, 43716]),
    ],
)
def test_fc_float64_rule(
    tmp_path: Path, require_cc: str, scales: tuple[float, float, float], targets: list[int]
) -> None:
    """Accumulators found by search that tell the candidate requantization rules apart:
    LiteRT's reference uses round_half_away((double)acc * ((double)s_x * s_w / s_y))."""
    sx, sw, sy = scales
    n = len(targets)
    m = fc_model(
        (4, 1),
        n,
        in_q=(sx, 0),
        out_q=(sy, 0),
        w_scale=sw,
        weights=np.ones((n, 1), np.int8),
        bias_data=np.array(targets),
    )
    x = np.array([[0], [1], [-1], [0]], np.int8)
    check_against_litert(m, tmp_path, inputs=[[x]])


def test_fc_rounding_ties(tmp_path: Path, require_cc: str) -> None:
    # S = 0.125 * 0.125 / 0.0625 = 2^-2 exactly: every accumulator = 2 mod 4 is a tie (half
    # away from zero); small weights keep most outputs unsaturated
    w = np.random.default_rng(1).integers(-2, 3, (12, 2)).astype(np.int8)
    m = fc_model(
        (8, 2),
        12,
        in_q=(0.125, 0),
        out_q=(0.0625, 0),
        w_scale=0.125,
        weights=w,
        bias_range=40,
        seed=9,
    )
    check_against_litert(m, tmp_path, n=10)


# ---- 16x8 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("bias_dtype", ["int64", "int32", None])
def test_fc16x8_bias_types(
    tmp_path: Path, require_cc: str, per_channel: bool, bias_dtype: str | None
) -> None:
    m = fc_model(
        (5, 40),
        7,
        per_channel=per_channel,
        bias=bias_dtype is not None,
        dtype="int16",
        bias_dtype=bias_dtype or "int64",
        in_q=(0.0005, 0),
        out_q=(0.002, 0),
        bias_range=200000,
        seed=2,
    )
    assert kernels_of(m, tmp_path) == ["mcu_fc_s16"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_fc16x8_activations_keep_dims(tmp_path: Path, require_cc: str, act: int) -> None:
    m = fc_model(
        (2, 3, 24),
        6,
        act=act,
        keep_num_dims=True,
        dtype="int16",
        bias_dtype="int64",
        in_q=(0.0002, 0),
        out_q=(0.0001, 0),
        bias_range=200000,
        seed=act,
    )
    check_against_litert(m, tmp_path)


def test_fc_int8_to_int16_is_reported(tmp_path: Path) -> None:
    """int8 input with int16 output (valid TFLite) has no kernel: a clear error naming the
    layer, not a crash."""
    from mcuai.errors import UnsupportedError

    b = TFLiteBuilder()
    x = b.tensor("x", [2, 8], "int8", scale=0.02, zero_point=0)
    w = b.const("w", np.ones((3, 8), np.int8), scale=0.01, zero_point=0)
    y = b.tensor("y", [2, 3], "int16", scale=0.001, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w], [y], options("FullyConnectedOptionsT"), version=5)
    p = tmp_path / "m.tflite"
    p.write_bytes(b.build([x], [y]))
    with pytest.raises(UnsupportedError, match=r"fully_connected.*no kernel for int8 -> int16"):
        generate(p, name="m")
