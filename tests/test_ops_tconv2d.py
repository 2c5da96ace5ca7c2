"""TRANSPOSE_CONV int8 against LiteRT BUILTIN_REF: SAME/VALID padding, strides 1, 2 and 3,
window sizes, per-channel and per-tensor weights, optional bias, fused activations, batches,
output sizes that leave uncovered rows, saturation."""

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


def tconv_model(
    in_shape: tuple[int, int, int, int],
    cout: int,
    k: tuple[int, int],
    stride: tuple[int, int] = (2, 2),
    padding: int = s.Padding.SAME,
    act: int = ACT.NONE,
    per_channel: bool = True,
    bias: bool = True,
    out_hw: tuple[int, int] | None = None,
    seed: int = 0,
    in_q: tuple[float, int] = (0.02, -5),
    out_q: tuple[float, int] = (0.05, 3),
) -> bytes:
    rng = np.random.default_rng(seed)
    n, h, w, cin = in_shape
    if out_hw is None:
        if padding == s.Padding.SAME:
            out_hw = (h * stride[0], w * stride[1])
        else:
            out_hw = ((h - 1) * stride[0] + k[0], (w - 1) * stride[1] + k[1])
    b = TFLiteBuilder()
    shape = b.const("output_shape", np.array([n, out_hw[0], out_hw[1], cout], np.int32))
    wdata = rng.integers(-127, 128, (cout, k[0], k[1], cin)).astype(np.int8)
    if per_channel:
        ws = [float(v) for v in rng.uniform(0.001, 0.01, cout)]
        wt = b.const("w", wdata, scale=ws, zero_point=[0] * cout)
    else:
        ws = [0.004] * cout
        wt = b.const("w", wdata, scale=0.004, zero_point=0)
    x = b.tensor("x", list(in_shape), "int8", scale=in_q[0], zero_point=in_q[1])
    ins = [shape, wt, x]
    if bias:
        bdata = rng.integers(-5000, 5000, cout).astype(np.int32)
        ins.append(b.const("bias", bdata, scale=[in_q[0] * v for v in ws], zero_point=[0] * cout))
    y = b.tensor("y", [n, *out_hw, cout], "int8", scale=out_q[0], zero_point=out_q[1])
    opts = options(
        "TransposeConvOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        fusedActivationFunction=act,
    )
    b.op("TRANSPOSE_CONV", ins, [y], opts, version=4)
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
        ((2, 2), s.Padding.VALID),
    ],
)
@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
def test_tconv_strides_padding_activations(
    tmp_path: Path, require_cc: str, stride: tuple[int, int], padding: int, act: int
) -> None:
    m = tconv_model((1, 5, 4, 3), 4, (3, 3), stride=stride, padding=padding, act=act)
    assert kernels_of(m, tmp_path) == ["mcu_tconv2d_s8"]
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("k", [(1, 1), (2, 2), (4, 4), (5, 3)])
@pytest.mark.parametrize("stride", [(1, 1), (2, 2), (2, 1), (3, 3)])
def test_tconv_windows_strides_granularity(
    tmp_path: Path,
    require_cc: str,
    per_channel: bool,
    k: tuple[int, int],
    stride: tuple[int, int],
) -> None:
    m = tconv_model((2, 4, 3, 5), 3, k, stride=stride, per_channel=per_channel, seed=k[0])
    check_against_litert(m, tmp_path, n=3)


@pytest.mark.parametrize("padding", [s.Padding.SAME, s.Padding.VALID])
def test_tconv_no_bias(tmp_path: Path, require_cc: str, padding: int) -> None:
    m = tconv_model((1, 4, 4, 6), 5, (3, 3), padding=padding, bias=False, act=ACT.RELU, seed=2)
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize(
    ("padding", "out_hw"), [(s.Padding.VALID, (10, 8)), (s.Padding.SAME, (7, 5))]
)
def test_tconv_unusual_output_sizes(
    tmp_path: Path, require_cc: str, padding: int, out_hw: tuple[int, int]
) -> None:
    # VALID with one more row/column than the inputs reach (bias only there); SAME with an
    # odd output size (LiteRT requires ceil(out / stride) = in for SAME)
    m = tconv_model((1, 4, 3, 2), 3, (3, 3), padding=padding, out_hw=out_hw, seed=4)
    check_against_litert(m, tmp_path)


def test_tconv_saturation(tmp_path: Path, require_cc: str) -> None:
    m = tconv_model((1, 4, 4, 16), 4, (3, 3), out_q=(0.0005, -100), seed=11)
    check_against_litert(m, tmp_path)
