"""Mixed float/int8 models: explicit QUANTIZE/DEQUANTIZE with float layers between integer
islands, float model inputs and outputs. Generated C against LiteRT's reference kernels; the
analyze report marks the float layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import analyze

pytestmark = [pytest.mark.cc, pytest.mark.ref]


def mixed_model() -> bytes:
    """float in -> QUANTIZE -> int8 CONV -> DEQUANTIZE -> float LOGISTIC -> float MUL (const)
    -> QUANTIZE -> int8 FC -> DEQUANTIZE -> float out."""
    rng = np.random.default_rng(4)
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 6, 6, 3], "float32")
    xq = b.tensor("xq", [1, 6, 6, 3], "int8", scale=0.01, zero_point=2)
    w = b.const(
        "w",
        rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8),
        scale=[0.01, 0.02, 0.015, 0.005],
        zero_point=[0] * 4,
    )
    bias = b.const(
        "bias",
        rng.integers(-300, 300, 4).astype(np.int32),
        scale=[1e-4, 2e-4, 1.5e-4, 5e-5],
        zero_point=[0] * 4,
    )
    c = b.tensor("conv", [1, 6, 6, 4], "int8", scale=0.05, zero_point=-3)
    cf = b.tensor("conv_f", [1, 6, 6, 4], "float32")
    lg = b.tensor("sigmoid_f", [1, 6, 6, 4], "float32")
    k = b.const("k", rng.uniform(0.5, 2.0, (4,)).astype(np.float32))
    m = b.tensor("scaled_f", [1, 6, 6, 4], "float32")
    mq = b.tensor("scaled_q", [1, 6, 6, 4], "int8", scale=1 / 128, zero_point=-128)
    fw = b.const("fw", rng.integers(-127, 128, (5, 144)).astype(np.int8), scale=0.01, zero_point=0)
    fb = b.const("fb", rng.integers(-500, 500, 5).astype(np.int32), scale=0.01 / 128, zero_point=0)
    y = b.tensor("fc", [1, 5], "int8", scale=0.1, zero_point=0)
    yf = b.tensor("out", [1, 5], "float32")
    b.op("QUANTIZE", [x], [xq])
    b.op(
        "CONV_2D",
        [xq, w, bias],
        [c],
        options(
            "Conv2DOptionsT",
            padding=s.Padding.SAME,
            strideH=1,
            strideW=1,
            dilationHFactor=1,
            dilationWFactor=1,
            fusedActivationFunction=s.ActivationFunctionType.RELU,
        ),
        version=3,
    )
    b.op("DEQUANTIZE", [c], [cf])
    b.op("LOGISTIC", [cf], [lg])
    b.op("MUL", [lg, k], [m], options("MulOptionsT"))
    b.op("QUANTIZE", [m], [mq])
    b.op("FULLY_CONNECTED", [mq, fw, fb], [y], options("FullyConnectedOptionsT"), version=4)
    b.op("DEQUANTIZE", [y], [yf])
    return b.build([x], [yf])


def test_mixed_model_runs_and_matches(tmp_path: Path, require_cc: str) -> None:
    check_against_litert(mixed_model(), tmp_path, n=8)


def test_analyze_marks_float_layers(tmp_path: Path) -> None:
    p = tmp_path / "mixed.tflite"
    p.write_bytes(mixed_model())
    a = analyze(p)
    kinds = [(la.op.split("+")[0], la.runs_in) for la in a.layers]
    assert kinds == [
        ("quantize", "conversion"),
        ("conv2d", "integer"),
        ("dequantize", "conversion"),
        ("logistic", "float"),
        ("mul", "float"),
        ("quantize", "conversion"),
        ("fully_connected", "integer"),
        ("dequantize", "conversion"),
    ]
    assert all(la.no_kernel is None for la in a.layers)
    assert a.float_layers == 2 and "float" in a.scheme.label


def test_validate_counts_dequantized_float_output_as_exact(tmp_path: Path, require_cc: str) -> None:
    """The float output is DEQUANTIZE of an integer FC: validate compares its bits and the
    verdict covers it; a float kernel's output (LOGISTIC) would not be held to bit-exactness."""
    from mcuai.validate.run import validate_model

    p = tmp_path / "mixed.tflite"
    p.write_bytes(mixed_model())
    r = validate_model(p, batches=4, progress=False)
    (row,) = [x for x in r.rows if x.pair == "C vs original"]
    assert row.exact_expected
    assert row.metrics.bit_exact == 1.0
    assert r.bit_exact is True
