"""``mcuai validate`` end to end on the host: example model with its real data, per-layer
comparison, a deliberately corrupted layer, and bad options."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT
from mcuai.codegen.emit import GeneratedCode
from mcuai.validate.run import validate_model
from test_cli_analyze import run_cli

pytestmark = [pytest.mark.cc, pytest.mark.ref]
DATA = ROOT / "examples" / "digits_test.npz"


def test_example_with_real_data_and_truth(tmp_path: Path, require_cc: str) -> None:
    out = tmp_path / "v.json"
    r = run_cli(
        "validate", "-m", str(EXAMPLE), "-vi", str(DATA), "-vo", str(DATA), "--json", str(out)
    )
    assert r.returncode == 0, r.stderr
    assert "bit-exact" in r.stdout
    d = json.loads(out.read_text())
    assert d["schema_version"] == 1 and d["samples"] == 20 and d["bit_exact"] is True
    pairs = [row["pair"] for row in d["rows"]]
    assert pairs == ["C vs original", "C vs ground truth", "original vs ground truth"]
    c_vs_orig, c_vs_gt, orig_vs_gt = d["rows"]
    assert c_vs_orig["bit_exact"] == 1.0 and c_vs_orig["max_lsb"] == 0
    assert c_vs_gt["acc"] == orig_vs_gt["acc"] >= 0.9


def test_batches_with_ground_truth_uses_the_first_samples(require_cc: str) -> None:
    """--batches 4 with -vo: the first 4 samples of -vi with the first 4 rows of -vo (the
    labels were refused before: 20 rows for 4 samples)."""
    rep = validate_model(EXAMPLE, DATA, DATA, batches=4, progress=False)
    assert rep.samples == 4
    gt = [r for r in rep.rows if r.pair == "C vs ground truth"]
    assert len(gt) == 1 and gt[0].metrics.samples == 4


def test_per_layer_all_match(require_cc: str) -> None:
    rep = validate_model(EXAMPLE, batches=3, per_layer=True, progress=False)
    assert rep.layers is not None and len(rep.layers) >= 9
    assert rep.first_divergence is None and rep.bit_exact is True


def _corrupt(observation: int) -> object:
    def hook(code: GeneratedCode) -> None:
        name = f"{code.name}.c"
        pat = re.compile(
            rf"({code.name.upper()}_OBSERVE\({observation}, \(const int8_t \*\)\(a \+ (\d+)\)\);)"
        )
        text, n = pat.subn(r"((int8_t *)(a + \2))[0] ^= 0x55;\n    \1", code.files[name])
        assert n == 1
        code.files[name] = text

    return hook


@pytest.mark.parametrize("observation", [2, 5])
def test_per_layer_names_the_corrupted_layer(require_cc: str, observation: int) -> None:
    rep = validate_model(
        EXAMPLE, batches=2, per_layer=True, progress=False, code_hook=_corrupt(observation)
    )  # type: ignore[arg-type]
    fd = rep.first_divergence
    assert fd is not None and fd.observation == observation
    assert fd.metrics.bit_exact is not None and fd.metrics.bit_exact < 1.0


def test_vo_without_vi_is_refused() -> None:
    r = run_cli("validate", "-m", str(EXAMPLE), "-vo", str(DATA))
    assert r.returncode == 2 and "-vo" in r.stderr


def test_bad_input_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    r = run_cli("validate", "-m", str(EXAMPLE), "-vi", str(bad))
    assert r.returncode == 2 and str(bad) in r.stderr and "Traceback" not in r.stderr


def test_require_exact_exit_status(require_cc: str) -> None:
    """--require-exact: 0 for the bit-exact example; 1 for an ONNX model validated with the
    integer-only --requant fixed-point kernels, which differ from ONNX Runtime's float rule."""
    from conftest import corpus_model

    r = run_cli("validate", "-m", str(EXAMPLE), "--batches", "2", "--require-exact")
    assert r.returncode == 0, r.stderr
    onnx = corpus_model("mlperf_tiny_onnx_qdq/kws_dscnn_qdq.onnx")
    args = ("validate", "-m", str(onnx), "--batches", "3", "--requant", "fixed-point")
    assert run_cli(*args).returncode == 0  # a report, not an error, without the flag
    r = run_cli(*args, "--require-exact")
    assert r.returncode == 1 and "--require-exact" in r.stderr and "Traceback" not in r.stderr
