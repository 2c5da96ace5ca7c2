"""MEAN (int8, int16) against LiteRT BUILTIN_REF, whose reference MEAN takes
``reference_ops::QuantizedMeanOrSum`` for every case: global pooling over axes [1, 2] with and
without keep_dims (MobileNet/MCUNet/YAMNet), equal and different input/output quantization,
other axis sets and ranks, batches, multipliers above one, the 1/N folding limits, and MEAN ops
cut out of corpus models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import corpus_model
from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.ops.mean import mean_requant
from mcuai.quant.fixed_point import multiply_by_quantized_multiplier

pytestmark = [pytest.mark.cc, pytest.mark.ref]
Q = tuple[float, int]


def mean_model(
    shape: tuple[int, ...],
    axes: list[int],
    keep: bool,
    qi: Q = (0.05, -3),
    qo: Q = (0.02, 5),
    dtype: str = "int8",
) -> bytes:
    rank = len(shape)
    red = {a % rank for a in axes}
    if keep:
        out = [1 if i in red else d for i, d in enumerate(shape)]
    else:
        out = [d for i, d in enumerate(shape) if i not in red]
    b = TFLiteBuilder()
    x = b.tensor("x", list(shape), dtype, scale=qi[0], zero_point=qi[1])
    ax = b.const("axes", np.array(axes, dtype=np.int32))
    y = b.tensor("y", out, dtype, scale=qo[0], zero_point=qo[1])
    b.op("MEAN", [x, ax], [y], options("ReducerOptionsT", keepDims=keep), version=2)
    return b.build([x], [y])


@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize(
    ("qi", "qo"),
    [((0.05, -3), (0.05, -3)), ((0.05, -3), (0.02, 5)), ((0.01, 100), (0.3, -128))],
    ids=["same-quant", "other-quant", "wide-ratio"],
)
@pytest.mark.parametrize("hw", [(7, 7), (3, 5), (1, 1), (12, 8)])
def test_global_mean(
    tmp_path: Path, require_cc: str, keep: bool, qi: Q, qo: Q, hw: tuple[int, int]
) -> None:
    m = mean_model((1, hw[0], hw[1], 16), [1, 2], keep, qi, qo)
    check_against_litert(m, tmp_path, n=3)


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((2, 5, 6, 8), [1, 2]),  # batch > 1
        ((2, 5, 6, 8), [2, 1]),  # axes order does not matter
        ((1, 6, 7, 8), [1]),  # MCUNet: mean over H only
        ((1, 6, 7, 8), [-2]),  # ... over W, negative axis
        ((1, 16, 3, 3), [1]),  # MCUNet-VWW: NCHW-style channel mean
        ((2, 5, 6, 8), [3]),
        ((2, 5, 6, 8), [0, 3]),  # two separate reduced groups
        ((3, 4, 5, 6), [0, 2]),  # alternating kept/reduced groups
        ((2, 5, 6, 8), [0, 1, 2, 3]),  # everything
        ((6, 10), [1]),
        ((6, 10), [0]),
        ((4, 3, 5), [1]),
        ((2, 3, 2, 3, 2), [0, 2, 4]),  # rank 5, three reduced groups
    ],
)
@pytest.mark.parametrize("keep", [True, False])
def test_mean_axes(
    tmp_path: Path, require_cc: str, shape: tuple[int, ...], axes: list[int], keep: bool
) -> None:
    check_against_litert(mean_model(shape, axes, keep), tmp_path, n=3)


def test_mean_multiplier_above_one(tmp_path: Path, require_cc: str) -> None:
    # s_in / s_out = 10 with N = 3: the folded shift stays positive (left shift)
    m = mean_model((1, 3, 1, 8), [1, 2], True, qi=(0.1, 7), qo=(0.01, -2))
    check_against_litert(m, tmp_path)


def test_mean_large_n(tmp_path: Path, require_cc: str) -> None:
    # N = 28 * 28 as in MCUNet's SE blocks; full-range inputs
    check_against_litert(mean_model((1, 28, 28, 24), [1, 2], True), tmp_path, n=2)


def test_mean_tiny_ratio_clamps_the_fold() -> None:
    # s_in / s_out ~ 2^-29: k = min(floor(log2 N), 32, 31 + shift) is limited by the shift
    mult, shift, _ = mean_requant(2.0**-29 * 1.3, 1.0, 0, 64)
    assert shift == -31
    mult, shift, _ = mean_requant(0.05, 0.02, -3, 49)
    assert 0 < mult < 2**31
    # the folded multiplier approximates s_in / (s_out * N)
    got = float(multiply_by_quantized_multiplier(1 << 20, mult, shift)) / (1 << 20)
    assert abs(got - 0.05 / 0.02 / 49) < 1e-6


def test_mean_tiny_ratio(tmp_path: Path, require_cc: str) -> None:
    m = mean_model((1, 8, 8, 4), [1, 2], False, qi=(2.0**-29 * 1.3, 0), qo=(1.0, 3))
    check_against_litert(m, tmp_path, n=2)


@pytest.mark.parametrize(
    ("shape", "axes"), [((1, 5, 6, 8), [1, 2]), ((2, 4, 6), [2]), ((2, 3, 4, 5), [0, 2])]
)
@pytest.mark.parametrize("keep", [True, False])
def test_mean_int16(
    tmp_path: Path, require_cc: str, shape: tuple[int, ...], axes: list[int], keep: bool
) -> None:
    m = mean_model(shape, axes, keep, qi=(0.0004, 0), qo=(0.0003, 0), dtype="int16")
    check_against_litert(m, tmp_path, n=3)


def test_mean_int16_wrapping_sum(tmp_path: Path, require_cc: str) -> None:
    # 2^17 values near +-32767: the int32 sum wraps exactly as the reference's does
    x = np.full((1, 512, 256, 1), 32767, dtype=np.int16)
    m = mean_model(x.shape, [1, 2], True, qi=(0.001, 0), qo=(0.001, 0), dtype="int16")
    check_against_litert(m, tmp_path, inputs=[[x], [-x - 1]])


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("model", "occurrence"),
    [
        ("tflm/mobilenet_v2_quantized_1x3x224x224.tflite", 0),  # [1,2] keep_dims
        ("stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite", 0),  # [1,2], no keep
        ("tinyengine_mit/mcunet_mcunetv2_large.tflite", 0),  # SE: axis 1 then axis 2
        ("tinyengine_mit/mcunet_mcunetv2_large.tflite", 1),
        ("tinyengine_mit/mcunet_vww.tflite", 0),  # axis 1 of [1,160,3,3], no keep
    ],
)
def test_corpus_means(tmp_path: Path, require_cc: str, model: str, occurrence: int) -> None:
    from test_ops_elementwise import extract_op

    check_against_litert(extract_op(corpus_model(model), "MEAN", occurrence), tmp_path, n=3)
