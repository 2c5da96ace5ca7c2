"""Acceptance: models built here, quantized by ``mcuai quantize`` (ONNX Runtime's quantizer) and
validated by ``mcuai validate`` must be bit-exact with ONNX Runtime's integer path.

Four tiny float models (:mod:`helpers.onnx_models`: a CNN with a residual Add, a
depthwise-separable net, an MLP with Gemm and MatMul, a CNN with Erf in the middle, which stays
float between two quantized islands) are quantized with seeded random calibration data in every
combination of QDQ / QOperator; int8 activations and weights, uint8 activations with int8
weights, or uint8 activations and weights; per-channel / per-tensor weights (48 models), then
validated on 10 random inputs against ONNX Runtime (CPU, default optimizations). The assertion is
exactness of every output: integer outputs equal, float outputs (the model's final
DequantizeLinear) equal.

Cases that fail today because a kernel or an ONNX Runtime rule is missing are marked
``xfail(strict=True)`` with the op that differs and by how much (:data:`XFAIL`), so the marker
turns into a failure the day they become exact and must then be removed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import onnx_models as om
from mcuai.cli import cli
from mcuai.validate.run import ValidationReport, validate_model

pytestmark = [pytest.mark.cc, pytest.mark.ref]

MODELS = {
    "cnn": om.tiny_residual_cnn,
    "dws": om.tiny_dws_net,
    "mlp": om.tiny_mlp,
    "fmid": om.tiny_float_middle,
}
FORMATS = ("qdq", "qoperator")
ACTIVATIONS = ("int8", "uint8", "uint8w")  # uint8w: uint8 activations and uint8 weights
GRANULARITY = ("pc", "pt")  # per-channel, per-tensor weights


def _xfail_table() -> dict[str, tuple[type[BaseException], str]]:
    t: dict[str, tuple[type[BaseException], str]] = {}
    return t


#: case id -> (the exception it fails with today, why)
XFAIL = _xfail_table()


def _cases() -> list[object]:
    out: list[object] = []
    for m, fmt, act, g in itertools.product(MODELS, FORMATS, ACTIVATIONS, GRANULARITY):
        cid = f"{m}-{fmt}-{act}-{g}"
        marks = []
        if cid in XFAIL:
            exc, reason = XFAIL[cid]
            marks.append(pytest.mark.xfail(strict=True, raises=exc, reason=reason))
        out.append(pytest.param(m, fmt, act, g, id=cid, marks=marks))
    return out


@pytest.fixture(scope="module")
def float_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (float model, calibration .npz with 8 seeded normal samples per input)."""
    d = tmp_path_factory.mktemp("quantized_models")
    out = {}
    for k, (name, build) in enumerate(MODELS.items()):
        f = om.save(build(), d / f"{name}.onnx")
        rng = np.random.default_rng(100 + k)
        calib = d / f"{name}_calib.npz"
        arrays = {
            n: rng.normal(size=(8, *s[1:])).astype(np.float32) for n, s in om._inputs(f).items()
        }
        np.savez(calib, **arrays)  # type: ignore[arg-type]
        out[name] = (f, calib)
    return out


def _exact(report: ValidationReport) -> list[str]:
    """Why the C outputs are not exactly ORT's (empty: exact)."""
    problems = []
    rows = [r for r in report.rows if r.pair == "C vs original"]
    if not rows:
        problems.append("no output compared")
    for r in rows:
        m = r.metrics
        ok = m.bit_exact == 1.0 if m.bit_exact is not None else (m.mae == 0 and m.nonfinite == 0)
        if not ok:
            fd = report.first_divergence
            where = (
                ""
                if fd is None
                else f", first divergence {fd.origin} ({fd.op}) max {fd.metrics.max_lsb} LSB"
            )
            problems.append(
                f"output {m.tensor}: bit-exact {m.bit_exact}, max {m.max_lsb} LSB, "
                f"mae {m.mae}{where}"
            )
    return problems


@pytest.mark.parametrize(("model", "fmt", "act", "gran"), _cases())
def test_quantized_model_is_bit_exact(
    float_models: dict[str, tuple[Path, Path]],
    tmp_path: Path,
    model: str,
    fmt: str,
    act: str,
    gran: str,
) -> None:
    f, calib = float_models[model]
    q = tmp_path / f"{model}_{fmt}_{act}_{gran}.onnx"
    args = ["quantize", "-m", str(f), "--calib", str(calib), "-o", str(q), "--format", fmt]
    args += ["--activation-type", act.removesuffix("w")]
    args += (["--weight-type", "uint8"] if act == "uint8w" else []) + (
        ["--per-tensor"] if gran == "pt" else []
    )
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert q.exists()
    report = validate_model(q, per_layer=True, progress=False)
    assert report.samples == 10
    problems = _exact(report)
    assert not problems, "\n".join(problems)
