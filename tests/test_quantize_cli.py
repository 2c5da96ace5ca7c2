"""``mcuai quantize``: small float models quantized with ONNX Runtime's quantizer in every
format and type combination; the output loads in ONNX Runtime and in mcuai's importer; the
float-vs-quantized report; bad calibration data and bad models refused with one clear error and
no file written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from conftest import EXAMPLE
from helpers import onnx_models as om
from mcuai import api
from mcuai.errors import McuaiError, ModelError, UsageError
from mcuai.lower.ort import ORT_NUMERICS
from mcuai.quantize import QuantizeOptions
from test_cli_analyze import run_cli

pytestmark = pytest.mark.ref

FLOAT: dict[str, Callable[[], onnx.ModelProto]] = {
    "cnn": lambda: om.residual_cnn(batch_norm=True),
    "mlp": om.mlp,
    "conv1d": om.conv1d_net,
}
SHAPES = {"cnn": (3, 16, 16), "mlp": (32,), "conv1d": (2, 40)}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Float models and calibration files: ``{"cnn": model, "cnn.npz": calibration}``."""
    d = tmp_path_factory.mktemp("quantize")
    out: dict[str, Path] = {}
    rng = np.random.default_rng(0)
    for name, build in FLOAT.items():
        out[name] = om.save(build(), d / f"{name}.onnx")
        calib = d / f"{name}.npz"
        np.savez(calib, x=rng.normal(size=(12, *SHAPES[name])).astype(np.float32))
        out[f"{name}.npz"] = calib
    return out


def _weights(path: Path) -> list[np.ndarray]:
    """The quantized weights (integer initializers of rank >= 2) of a quantized model."""
    m = onnx.load(str(path))
    arrs = [numpy_helper.to_array(t) for t in m.graph.initializer]
    return [a for a in arrs if a.dtype.kind in "iu" and a.ndim >= 2]


def _scales(path: Path) -> list[np.ndarray]:
    """Scales used to dequantize weights (QDQ) / the weight scales of QLinearConv (QOperator)."""
    m = onnx.load(str(path))
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    out = []
    for n in m.graph.node:
        if n.op_type == "DequantizeLinear" and init.get(n.input[0]) is not None:
            if init[n.input[0]].ndim >= 2:
                out.append(init[n.input[1]])
        elif n.op_type == "QLinearConv":
            out.append(init[n.input[4]])
    return out


COMBOS = [
    ("qdq", "int8", "int8", False),
    ("qdq", "int8", "int8", True),
    ("qdq", "uint8", "uint8", True),
    ("qdq", "uint8", "int8", False),
    ("qoperator", "uint8", "int8", True),
    ("qoperator", "int8", "int8", False),
    ("qoperator", "uint8", "uint8", False),
]


@pytest.mark.parametrize("model", list(FLOAT))
@pytest.mark.parametrize(("fmt", "act", "wt", "per_tensor"), COMBOS)
def test_quantize_formats_and_types(
    data: dict[str, Path],
    tmp_path: Path,
    model: str,
    fmt: str,
    act: str,
    wt: str,
    per_tensor: bool,
) -> None:
    out = tmp_path / "q.onnx"
    rep = api.quantize(
        data[model],
        data[f"{model}.npz"],
        out,
        format=fmt,
        activation_type=act,
        weight_type=wt,
        per_channel=not per_tensor,
    )
    assert out.is_file() and rep.output == str(out)
    assert rep.calibration_samples == 12 and rep.samples == 12
    assert rep.evaluated_on == "calibration data"
    assert len(rep.rows) == 1 and rep.rows[0].cos > 0.98 and rep.rows[0].rmse < 0.2
    # loads and runs in ONNX Runtime
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = np.zeros((1, *SHAPES[model]), np.float32)
    assert sess.run(None, {sess.get_inputs()[0].name: x})[0].shape[0] == 1
    # the requested format and types
    ops = rep.quantized_ops
    if fmt == "qdq":
        assert ops.get("QuantizeLinear") and ops.get("DequantizeLinear")
        assert not any(k.startswith("QLinear") or k == "QGemm" for k in ops)
    else:
        assert any(k.startswith("QLinear") or k == "QGemm" for k in ops)
    weights = _weights(out)
    # ONNX Runtime always writes per-channel QLinearConv weights as int8
    allowed = {wt, "int8"} if fmt == "qoperator" and not per_tensor else {wt}
    assert weights and {str(w.dtype) for w in weights} <= allowed
    assert any(str(w.dtype) == wt for w in weights)
    scales = _scales(out)
    if model == "cnn":
        assert scales and all((s.size > 1) == (not per_tensor) for s in scales)
    # loads in mcuai's importer (static quantization, QDQ or QOperator)
    g = api.load_model(out)
    assert g.source == ("onnx-qdq" if fmt == "qdq" else "onnx-qoperator")


@pytest.mark.parametrize("method", ["entropy", "percentile"])
def test_calibration_methods_and_reduce_range(
    data: dict[str, Path], tmp_path: Path, method: str
) -> None:
    out = tmp_path / "q.onnx"
    rep = api.quantize(data["mlp"], data["mlp.npz"], out, method=method, reduce_range=True)
    assert rep.options.method == method and rep.options.reduce_range
    assert all(int(np.abs(w.astype(int)).max()) <= 64 for w in _weights(out))  # 7-bit weights
    assert rep.rows[0].cos > 0.9


def test_evaluate_on_vi(data: dict[str, Path], tmp_path: Path) -> None:
    vi = tmp_path / "vi.npz"
    x = np.random.default_rng(9).normal(size=(5, 32)).astype(np.float32)
    np.savez(vi, input_0=x)
    rep = api.quantize(data["mlp"], data["mlp.npz"], tmp_path / "q.onnx", vi=vi)
    assert rep.evaluated_on == str(vi) and rep.samples == 5
    assert rep.rows[0].samples == 5 and rep.rows[0].acc is not None  # [1,4] output


def test_cli_prints_metrics_and_writes_json(data: dict[str, Path], tmp_path: Path) -> None:
    out, js = tmp_path / "q.onnx", tmp_path / "q.json"
    r = run_cli(
        "quantize", "-m", str(data["cnn"]), "--calib", str(data["cnn.npz"]), "-o", str(out),
        "--json", str(js),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for word in ("QDQ", "int8 symmetric weights per channel", "rmse", "cos", "acc"):
        assert word in r.stdout
    d = json.loads(js.read_text())
    assert d["schema_version"] == 1 and d["output"] == str(out)
    assert d["options"] == {
        "format": "qdq",
        "per_channel": True,
        "activation_type": "int8",
        "weight_type": "int8",
        "method": "minmax",
        "reduce_range": False,
    }
    assert d["rows"][0]["cos"] > 0.98 and d["samples"] == 12
    assert "Collecting" not in r.stdout  # ONNX Runtime's chatter is kept off the terminal
    # the result validates against ONNX Runtime in mcuai's pipeline
    g = api.load_model(out)
    assert g.source == "onnx-qdq"
    assert all((n.numerics or "").startswith(ORT_NUMERICS) for n in g.nodes)  # ORT's variants


def test_cli_options(data: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "q.onnx"
    r = run_cli(
        "quantize", "-m", str(data["mlp"]), "--calib", str(data["mlp.npz"]), "-o", str(out),
        "--format", "qoperator", "--per-tensor", "--activation-type", "uint8",
        "--weight-type", "uint8", "--method", "percentile",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "QOperator" in r.stdout and "uint8" in r.stdout and "per tensor" in r.stdout
    r = run_cli(
        "quantize", "-m", str(data["mlp"]), "--calib", str(data["mlp.npz"]), "-o", str(out),
        "--format", "qint",
    )  # fmt: skip
    assert r.returncode == 2 and "qint" in r.stderr


# ---------------------------------------------------------------------------------------------
# refusals: one clear error, no output file, nothing half-written


def _bad(tmp_path: Path, name: str, **arrays: np.ndarray) -> Path:
    p = tmp_path / name
    np.savez(p, **arrays)  # type: ignore[arg-type]
    return p


def _no_output(folder: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(f".{out.name}")]


BAD_CALIB: dict[str, tuple[Callable[[Path], Path], list[str]]] = {
    "wrong name": (
        lambda d: _bad(d, "c.npz", y=np.zeros((4, 32), np.float32), z=np.zeros(3)),
        ["no array for input 0 'x'", "'y'"],
    ),
    "wrong shape": (
        lambda d: _bad(d, "c.npz", x=np.zeros((4, 31), np.float32)),
        ["'x' has shape (4, 31)", "(N, 32)"],
    ),
    "integer data": (
        lambda d: _bad(d, "c.npz", x=np.zeros((4, 32), np.int32)),
        ["'x' has dtype int32", "float"],
    ),
    "empty": (lambda d: _bad(d, "c.npz", x=np.zeros((0, 32), np.float32)), ["'x' is empty"]),
    "nan": (
        lambda d: _bad(d, "c.npz", x=np.full((4, 32), np.nan, np.float32)),
        ["NaN or infinity", "'x'"],
    ),
    "strings": (lambda d: _bad(d, "c.npz", x=np.full((4, 32), "a")), ["'x' has dtype <U1"]),
    "no archive": (lambda d: _write(d / "c.npz", b"this is not a zip"), ["not a readable"]),
    "empty archive": (lambda d: _bad(d, "c.npz"), ["holds no arrays"]),
    "missing": (lambda d: d / "missing.npz", ["no such file"]),
}


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("case", list(BAD_CALIB))
def test_bad_calibration_data(data: dict[str, Path], tmp_path: Path, case: str) -> None:
    make, words = BAD_CALIB[case]
    calib = make(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "q.onnx"
    r = run_cli("quantize", "-m", str(data["mlp"]), "--calib", str(calib), "-o", str(out))
    assert r.returncode == 2, r.stdout
    assert "Traceback" not in r.stderr and r.stderr.count("error:") == 1
    assert str(calib) in r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    _no_output(out_dir, out)


def test_bad_vi_is_refused_before_writing(data: dict[str, Path], tmp_path: Path) -> None:
    vi = _bad(tmp_path, "vi.npz", x=np.zeros((2, 7), np.float32))
    out = tmp_path / "q.onnx"
    with pytest.raises(UsageError, match=r"vi\.npz.*'x' has shape \(2, 7\)"):
        api.quantize(data["mlp"], data["mlp.npz"], out, vi=vi)
    _no_output(tmp_path, out)


def test_existing_output_survives_a_failure(data: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "q.onnx"
    out.write_bytes(b"previous")
    bad = _bad(tmp_path, "c.npz", x=np.zeros((4, 3), np.float32))
    with pytest.raises(UsageError):
        api.quantize(data["mlp"], bad, out)
    assert out.read_bytes() == b"previous"
    api.quantize(data["mlp"], data["mlp.npz"], out)  # success replaces it
    assert onnx.load(str(out)).graph.node


def test_quantized_models_are_refused(data: dict[str, Path], tmp_path: Path) -> None:
    qdq = om.quantize_qdq(data["mlp"], tmp_path / "qdq.onnx")
    dyn = om.quantize_dyn(data["mlp"], tmp_path / "dyn.onnx")
    out = tmp_path / "q.onnx"
    for model, op in ((qdq, "QuantizeLinear"), (dyn, "DynamicQuantizeLinear")):
        r = run_cli("quantize", "-m", str(model), "--calib", str(data["mlp.npz"]), "-o", str(out))
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert "quantized already" in r.stderr and op in r.stderr and str(model) in r.stderr
        _no_output(tmp_path, out)


def test_bad_models_and_paths(data: dict[str, Path], tmp_path: Path) -> None:
    calib = data["mlp.npz"]
    out = tmp_path / "q.onnx"
    with pytest.raises(UsageError, match="TFLite model"):
        api.quantize(EXAMPLE, calib, out)
    junk = _write(tmp_path / "junk.onnx", b"\x01\x02 not a protobuf at all \xff")
    with pytest.raises(ModelError, match=r"junk\.onnx"):
        api.quantize(junk, calib, out)
    with pytest.raises(ModelError, match="no such file"):
        api.quantize(tmp_path / "none.onnx", calib, out)
    with pytest.raises(UsageError, match="does not exist"):
        api.quantize(data["mlp"], calib, tmp_path / "no" / "q.onnx")
    with pytest.raises(UsageError, match="is a directory"):
        api.quantize(data["mlp"], calib, tmp_path)
    with pytest.raises(UsageError, match="is the input model"):
        api.quantize(data["mlp"], calib, data["mlp"])
    with pytest.raises(UsageError, match="--method"):
        api.quantize(data["mlp"], calib, out, method="kl")
    _no_output(tmp_path, out)


def test_errors_are_mcuai_errors() -> None:
    assert issubclass(UsageError, McuaiError) and issubclass(ModelError, McuaiError)
    assert QuantizeOptions().describe().startswith("QDQ, int8 symmetric weights per channel")
