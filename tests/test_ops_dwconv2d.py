"""DEPTHWISE_CONV_2D int8 against LiteRT BUILTIN_REF: the generic kernel and the 3x3 variant,
strides, SAME/VALID padding, dilation, channel multipliers, activations, per-channel and
per-tensor weights, optional bias, batches, rounding ties and saturation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.ops._common import conv_out_size

pytestmark = [pytest.mark.cc, pytest.mark.ref]
ACT = s.ActivationFunctionType


def dw_model(
    in_shape: tuple[int, int, int, int],
    k: tuple[int, int],
    mult: int = 1,
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    padding: int = s.Padding.SAME,
    act: int = ACT.NONE,
    per_channel: bool = True,
    bias: bool = True,
    seed: int = 0,
    in_q: tuple[float, int] = (0.02, -5),
    out_q: tuple[float, int] = (0.05, 3),
    w_range: int = 127,
    w_scale: float | None = None,
) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, cin = in_shape
    cout = cin * mult
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), "int8", scale=in_q[0], zero_point=in_q[1])
    wdata = rng.integers(-w_range, w_range + 1, (1, k[0], k[1], cout)).astype(np.int8)
    if per_channel:
        ws = [float(v) for v in rng.uniform(0.001, 0.01, cout)]
        wt = b.const("w", wdata, scale=ws, zero_point=[0] * cout, axis=3)
    else:
        ws = [w_scale if w_scale is not None else 0.004] * cout
        wt = b.const("w", wdata, scale=ws[0], zero_point=0)
    ins = [x, wt]
    if bias:
        bdata = rng.integers(-5000, 5000, cout).astype(np.int32)
        ins.append(b.const("bias", bdata, scale=[in_q[0] * v for v in ws], zero_point=[0] * cout))
    if padding == s.Padding.SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh = conv_out_size(h, k[0], stride[0], dilation[0], 0)
        ow = conv_out_size(w, k[1], stride[1], dilation[1], 0)
    y = b.tensor("y", [n, oh, ow, cout], "int8", scale=out_q[0], zero_point=out_q[1])
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
    b.op("DEPTHWISE_CONV_2D", ins, [y], opts, version=6)
    return b.build([x], [y])


def kernels_of(model: bytes, tmp_path: Path) -> list[str]:
    p = tmp_path / "k.tflite"
    p.write_bytes(model)
    return [k for la in generate(p, name="k").layers for k in la["kernels"]]


@pytest.mark.parametrize(
    ("stride", "padding"),
    [
        ((1, 1), s.Padding.SAME),
        ((2, 2), s.Padding.SAME),
        ((1, 1), s.Padding.VALID),
        ((2, 1), s.Padding.VALID),
    ],
)
@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_dw3x3_strides_padding_activations(
    tmp_path: Path, require_cc: str, stride: tuple[int, int], padding: int, act: int
) -> None:
    m = dw_model((1, 9, 8, 6), (3, 3), stride=stride, padding=padding, act=act)
    assert kernels_of(m, tmp_path) == ["mcu_dwconv2d_3x3_s8"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("mult", [1, 2, 3])
@pytest.mark.parametrize("k", [(3, 3), (5, 5), (2, 4), (1, 1)])
def test_dw_multiplier_kernel_granularity(
    tmp_path: Path, require_cc: str, per_channel: bool, mult: int, k: tuple[int, int]
) -> None:
    m = dw_model((2, 7, 6, 4), k, mult=mult, per_channel=per_channel, seed=mult)
    expected = "mcu_dwconv2d_3x3_s8" if k == (3, 3) else "mcu_dwconv2d_s8"
    assert kernels_of(m, tmp_path) == [expected]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("k", [(3, 3), (3, 2)])
@pytest.mark.parametrize("padding", [s.Padding.SAME, s.Padding.VALID])
def test_dw_dilation(tmp_path: Path, require_cc: str, k: tuple[int, int], padding: int) -> None:
    m = dw_model((1, 12, 11, 5), k, mult=2, dilation=(2, 3), padding=padding, seed=7)
    assert kernels_of(m, tmp_path) == ["mcu_dwconv2d_s8"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("k", [(3, 3), (5, 3)])
def test_dw_no_bias(tmp_path: Path, require_cc: str, k: tuple[int, int]) -> None:
    m = dw_model((1, 6, 6, 8), k, bias=False, act=ACT.RELU, seed=9)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("k", [(3, 3), (4, 4)])
def test_dw_stride_larger_than_window_edges(
    tmp_path: Path, require_cc: str, k: tuple[int, int]
) -> None:
    # stride 3 with SAME padding on odd sizes: the window leaves the image on every border
    m = dw_model((1, 10, 7, 3), k, stride=(3, 3), mult=2, seed=12)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("k", [(3, 3), (5, 5)])
def test_dw_rounding_ties(tmp_path: Path, require_cc: str, k: tuple[int, int]) -> None:
    # s_x * s_w / s_y = 2^-8 exactly: one accumulator in 256 is a tie (half away from zero)
    m = dw_model(
        (1, 8, 8, 8),
        k,
        per_channel=False,
        in_q=(0.0625, 1),
        out_q=(0.25, -2),
        w_scale=0.015625,
        w_range=2,
        seed=4,
    )
    check_against_litert(m, tmp_path, n=8)


@pytest.mark.parametrize("k", [(3, 3), (5, 5)])
def test_dw_saturation(tmp_path: Path, require_cc: str, k: tuple[int, int]) -> None:
    m = dw_model((1, 6, 6, 16), k, out_q=(0.0005, -100), seed=11)
    check_against_litert(m, tmp_path)
