"""AVERAGE_POOL_2D and MAX_POOL_2D (int8, int16) against LiteRT BUILTIN_REF: windows, strides,
SAME/VALID padding (SAME averages divide by the number of in-image taps), every fused
activation, batches, rounding ties of the average, and pools cut out of corpus models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from conftest import corpus_model
from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.ops._common import conv_out_size

pytestmark = [pytest.mark.cc, pytest.mark.ref]
ACT = s.ActivationFunctionType
PAD = s.Padding


def pool_model(
    op: str,
    in_shape: tuple[int, int, int, int],
    k: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    padding: int = PAD.VALID,
    act: int = ACT.NONE,
    dtype: str = "int8",
    q: tuple[float, int] = (0.05, -10),
) -> bytes:
    n, h, w, c = in_shape
    if padding == PAD.SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh = conv_out_size(h, k[0], stride[0], 1, 0)
        ow = conv_out_size(w, k[1], stride[1], 1, 0)
    b = TFLiteBuilder()
    x = b.tensor("x", list(in_shape), dtype, scale=q[0], zero_point=q[1])
    y = b.tensor("y", [n, oh, ow, c], dtype, scale=q[0], zero_point=q[1])
    opts = options(
        "Pool2DOptionsT",
        padding=padding,
        strideH=stride[0],
        strideW=stride[1],
        filterHeight=k[0],
        filterWidth=k[1],
        fusedActivationFunction=act,
    )
    b.op(op, [x], [y], opts, version=2 if dtype == "int8" else 3)
    return b.build([x], [y])


OPS = ["AVERAGE_POOL_2D", "MAX_POOL_2D"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    ("k", "stride", "padding"),
    [
        ((2, 2), (2, 2), PAD.VALID),
        ((3, 3), (1, 1), PAD.SAME),
        ((3, 3), (2, 2), PAD.SAME),
        ((3, 2), (2, 3), PAD.VALID),
        ((5, 4), (3, 1), PAD.SAME),
        ((9, 8), (1, 1), PAD.VALID),  # global pool
        ((6, 6), (4, 4), PAD.SAME),  # windows larger than the stride, odd padding
    ],
)
def test_pool_windows_strides_padding(
    tmp_path: Path,
    require_cc: str,
    op: str,
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
) -> None:
    check_against_litert(pool_model(op, (2, 9, 8, 5), k, stride, padding), tmp_path, n=3)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("act", [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_pool_activations(tmp_path: Path, require_cc: str, op: str, act: int, dtype: str) -> None:
    q = (0.05, -10) if dtype == "int8" else (0.0002, 0)
    m = pool_model(op, (1, 7, 6, 4), (3, 3), (2, 2), PAD.SAME, act, dtype, q)
    check_against_litert(m, tmp_path, n=3)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    ("k", "stride", "padding"), [((2, 3), (2, 2), PAD.VALID), ((3, 3), (2, 1), PAD.SAME)]
)
def test_pool_int16(
    tmp_path: Path,
    require_cc: str,
    op: str,
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
) -> None:
    m = pool_model(op, (2, 8, 7, 3), k, stride, padding, dtype="int16", q=(0.0003, 0))
    check_against_litert(m, tmp_path, n=3)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_avg_pool_rounding_ties(tmp_path: Path, require_cc: str, dtype: str) -> None:
    # 1x2 windows: every odd pair sum is an exact tie, both signs; all int8 pairs enumerated
    vals = np.arange(-128, 128)
    if dtype == "int16":
        vals = vals * 255 + 3
    a, b = np.meshgrid(vals, vals, indexing="ij")
    x = np.stack([a.reshape(-1), b.reshape(-1)], axis=1).reshape(1, 256 * 256, 2, 1)
    m = pool_model("AVERAGE_POOL_2D", x.shape, (1, 2), (1, 2), PAD.VALID, dtype=dtype, q=(0.05, 0))
    check_against_litert(m, tmp_path, inputs=[[x.astype(dtype)]])


def test_avg_pool_same_edge_counts(tmp_path: Path, require_cc: str) -> None:
    # a constant input: an average that counted padding taps would shrink at the borders
    x = np.full((1, 5, 5, 2), 101, dtype=np.int8)
    m = pool_model("AVERAGE_POOL_2D", x.shape, (3, 3), (1, 1), PAD.SAME)
    check_against_litert(m, tmp_path, inputs=[[x], [-x]])


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("model", "builtin"),
    [
        ("mlperf_tiny/kws_ref_model.tflite", "AVERAGE_POOL_2D"),
        ("mlperf_tiny/vww_96_int8.tflite", "AVERAGE_POOL_2D"),
        ("stm32ai_modelzoo_apache2/miniresnet_1stacks_64x50_tl_int8.tflite", "MAX_POOL_2D"),
        ("tinyengine_mit/mcunet_detection.tflite", "MAX_POOL_2D"),
    ],
)
def test_corpus_pools(tmp_path: Path, require_cc: str, model: str, builtin: str) -> None:
    from test_ops_elementwise import extract_op

    check_against_litert(extract_op(corpus_model(model), builtin), tmp_path, n=3)
