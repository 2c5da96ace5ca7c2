"""CONV_2D int8 against LiteRT BUILTIN_REF: strides, padding, dilation, activations, per-channel
and per-tensor weights, groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
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
) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, cin = in_shape
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), "int8", scale=in_q[0], zero_point=in_q[1])
    wdata = rng.integers(-127, 128, (cout, k[0], k[1], cin // groups)).astype(np.int8)
    if per_channel:
        ws = [float(v) for v in rng.uniform(0.001, 0.01, cout)]
        wt = b.const("w", wdata, scale=ws, zero_point=[0] * cout)
    else:
        ws = [0.004] * cout
        wt = b.const("w", wdata, scale=0.004, zero_point=0)
    ins = [x, wt]
    if bias:
        bdata = rng.integers(-5000, 5000, cout).astype(np.int32)
        ins.append(b.const("bias", bdata, scale=[in_q[0] * v for v in ws], zero_point=[0] * cout))
    if padding == s.Padding.SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh = conv_out_size(h, k[0], stride[0], dilation[0], 0)
        ow = conv_out_size(w, k[1], stride[1], dilation[1], 0)
    assert same_padding(h, k[0], stride[0], dilation[0])  # helper exercised
    y = b.tensor("y", [n, oh, ow, cout], "int8", scale=out_q[0], zero_point=out_q[1])
    opts = options(
        "Conv2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        dilationHFactor=dilation[0],
        dilationWFactor=dilation[1],
        fusedActivationFunction=act,
    )
    b.op("CONV_2D", ins, [y], opts, version=3)
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
