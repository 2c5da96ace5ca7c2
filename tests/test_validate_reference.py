"""Reference runners: the same results as driving LiteRT (BUILTIN_REF) by hand, TFLite Micro
fallback on a model LiteRT refuses, intermediates, and the errors."""

from __future__ import annotations

import importlib.metadata
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from conftest import EXAMPLE, MODELS, ROOT, corpus_model
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import load_model
from mcuai.errors import McuaiError, ModelError
from mcuai.validate import load_inputs, random_inputs, tflite_reference

pytestmark = pytest.mark.ref

DIGITS_NPZ = ROOT / "examples" / "digits_test.npz"


def _direct(
    model: Path, inputs: list[np.ndarray], resolver: OpResolverType = OpResolverType.BUILTIN_REF
) -> list[np.ndarray]:
    """Run every sample through a plain LiteRT interpreter, one invoke per sample."""
    interp = Interpreter(model_path=str(model), experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    ins, outs = interp.get_input_details(), interp.get_output_details()
    n = inputs[0].shape[0]
    got: list[list[np.ndarray]] = [[] for _ in outs]
    for k in range(n):
        for d, a in zip(ins, inputs, strict=True):
            interp.set_tensor(d["index"], a[k].reshape(d["shape"]))
        interp.invoke()
        for g, d in zip(got, outs, strict=True):
            g.append(interp.get_tensor(d["index"]).reshape(-1))
    return [np.stack(g) for g in got]


def _two_op_model(tmp_path: Path) -> Path:
    """x, y -> (w = x * y, z = x + y), int8, outputs deliberately in the order w, z."""
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 2, 3], "int8", scale=0.05, zero_point=-3)
    y = b.tensor("y", [1, 2, 3], "int8", scale=0.03, zero_point=7)
    z = b.tensor("z", [1, 2, 3], "int8", scale=0.08, zero_point=2)
    w = b.tensor("w", [1, 2, 3], "int8", scale=0.02, zero_point=-10)
    b.op("ADD", [x, y], [z], options("AddOptionsT", fusedActivationFunction=0))
    b.op("MUL", [x, y], [w], options("MulOptionsT", fusedActivationFunction=0))
    p = tmp_path / "two_op.tflite"
    p.write_bytes(b.build([x, y], [w, z]))
    return p


def test_builder_model_same_as_direct_litert(tmp_path: Path) -> None:
    path = _two_op_model(tmp_path)
    graph = load_model(path)
    ref = tflite_reference(path)
    assert ref.name == f"LiteRT {importlib.metadata.version('ai-edge-litert')} BUILTIN_REF"
    assert ref.fallback_reason is None
    assert ref.input_names == ["x", "y"] and ref.output_names == ["w", "z"]
    x = random_inputs(graph.inputs, 7, seed=3)
    got = ref.run(x)
    assert [a.shape for a in got] == [(7, 2, 3), (7, 2, 3)]
    assert all(a.dtype == np.int8 for a in got)
    expected = _direct(path, x)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g.reshape(7, -1), e)
    inter = ref.run_intermediates(x)
    assert set(inter) == {"x", "y", "z", "w"}
    np.testing.assert_array_equal(inter["x"], x[0])
    np.testing.assert_array_equal(inter["y"], x[1])
    np.testing.assert_array_equal(inter["w"], got[0])
    np.testing.assert_array_equal(inter["z"], got[1])


def test_example_same_as_direct_litert_reference_kernels() -> None:
    graph = load_model(EXAMPLE)
    ref = tflite_reference(EXAMPLE)
    x = load_inputs(DIGITS_NPZ, graph.inputs)
    (out,) = ref.run(x)
    assert out.shape == (20, 10) and out.dtype == np.int8
    np.testing.assert_array_equal(out, _direct(EXAMPLE, x)[0])
    # the example classifies its own test digits (labels shipped in the same file)
    labels = np.load(DIGITS_NPZ)["output_0"]
    assert np.mean(np.argmax(out, axis=1) == labels) >= 0.9


def test_reference_is_not_the_default_xnnpack_resolver() -> None:
    """On this model the default LiteRT resolver differs from the reference kernels; the
    reference runner must give the reference kernels' result."""
    graph = load_model(EXAMPLE)
    x = random_inputs(graph.inputs, 5, seed=0)
    (out,) = tflite_reference(EXAMPLE).run(x)
    np.testing.assert_array_equal(out, _direct(EXAMPLE, x)[0])
    default = _direct(EXAMPLE, x, OpResolverType.AUTO)[0]
    assert not np.array_equal(out, default)


def test_samples_are_independent_and_runs_repeatable() -> None:
    graph = load_model(EXAMPLE)
    ref = tflite_reference(EXAMPLE)
    x = random_inputs(graph.inputs, 6, seed=11)
    (batch,) = ref.run(x)
    singles = np.concatenate([ref.run([x[0][k : k + 1]])[0] for k in range(6)])
    np.testing.assert_array_equal(batch, singles)
    np.testing.assert_array_equal(ref.run(x)[0], batch)


def test_intermediates_of_example_hold_every_activation() -> None:
    graph = load_model(EXAMPLE)
    ref = tflite_reference(EXAMPLE)
    x = random_inputs(graph.inputs, 2, seed=5)
    inter = ref.run_intermediates(x)
    np.testing.assert_array_equal(inter[graph.inputs[0].name], x[0])
    np.testing.assert_array_equal(inter[graph.outputs[0].name], ref.run(x)[0])
    # compare one intermediate with LiteRT driven by hand
    interp = Interpreter(
        model_path=str(EXAMPLE),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x[0][1:2])
    interp.invoke()
    checked = 0
    for d in interp.get_tensor_details():
        if d["name"] in inter and d["name"] != graph.inputs[0].name:
            np.testing.assert_array_equal(inter[d["name"]][1], interp.get_tensor(d["index"])[0])
            checked += 1
    assert checked == len(inter) - 1 >= 5


def test_bad_input_arrays() -> None:
    ref = tflite_reference(EXAMPLE)
    with pytest.raises(ValueError, match="int8"):
        ref.run([np.zeros((2, 8, 8, 1), np.float32)])
    with pytest.raises(ValueError, match=r"\[2, 8, 8, 1\]"):
        ref.run([np.zeros((2, 8, 8), np.int8)])
    with pytest.raises(ValueError, match="1 inputs"):
        ref.run([])


def test_missing_and_corrupt_models(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such file"):
        tflite_reference(tmp_path / "nope.tflite")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="TFL3"):
        tflite_reference(bad)
    trunc = tmp_path / "trunc.tflite"
    trunc.write_bytes(EXAMPLE.read_bytes()[:64])
    with pytest.raises(McuaiError):
        tflite_reference(trunc)


def test_no_runtime_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in list(sys.modules):
        if mod.startswith(("ai_edge_litert", "tflite_micro")):
            monkeypatch.setitem(sys.modules, mod, None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "tflite_micro", None)
    with pytest.raises(McuaiError, match="pip install ai-edge-litert"):
        tflite_reference(EXAMPLE)


def test_litert_not_installed_falls_back_to_tflm(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tflite_micro")
    graph = load_model(EXAMPLE)
    x = random_inputs(graph.inputs, 4, seed=2)
    expected = _direct(EXAMPLE, x)[0]
    for mod in list(sys.modules):
        if mod.startswith("ai_edge_litert"):
            monkeypatch.setitem(sys.modules, mod, None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    ref = tflite_reference(EXAMPLE)
    assert ref.name.startswith("TFLite Micro ")
    assert ref.fallback_reason == "LiteRT (ai-edge-litert) is not installed"
    np.testing.assert_array_equal(ref.run(x)[0], expected)


# --------------------------------------------------------------------------- corpus


def _bmp_as_int8(path: Path) -> np.ndarray:
    """The TFLM person_detection test's convention: 96x96 8-bit grey BMP, rows top-down, raw
    uint8 bytes reinterpreted as int8 (not minus 128)."""
    data = path.read_bytes()
    offset = struct.unpack_from("<I", data, 10)[0]
    width, height = struct.unpack_from("<ii", data, 18)
    assert (width, abs(height), offset) == (96, 96, 1078)
    px = np.frombuffer(data, np.uint8, count=96 * 96, offset=offset).reshape(96, 96)
    if height > 0:  # bottom-up rows
        px = px[::-1]
    return px.view(np.int8).reshape(96, 96, 1)


@pytest.mark.corpus
def test_person_detect_falls_back_to_tflm() -> None:
    pytest.importorskip("tflite_micro")
    path = corpus_model("tflm/person_detect.tflite")
    testdata = MODELS / "testdata"
    if not (testdata / "tflm_person.bmp").exists():
        pytest.skip("corpus test images not found")
    ref = tflite_reference(path)
    assert ref.name.startswith("TFLite Micro ")
    assert ref.fallback_reason is not None
    assert "LiteRT" in ref.fallback_reason and "quantized_dimension" in ref.fallback_reason
    assert "LiteRT" in ref.name
    x = np.stack(
        [_bmp_as_int8(testdata / "tflm_person.bmp"), _bmp_as_int8(testdata / "tflm_no_person.bmp")]
    )
    (out,) = ref.run([x])
    assert out.dtype == np.int8
    assert out.tolist() == [[-113, 113], [57, -57]]  # [no_person, person] scores
    inter = ref.run_intermediates([x])
    np.testing.assert_array_equal(inter[ref.output_names[0]], out)
    np.testing.assert_array_equal(inter[ref.input_names[0]], x)
    assert len(inter) > 20
    with pytest.raises(McuaiError, match="refused the model"):
        tflite_reference(path, runtime="litert")


@pytest.mark.corpus
def test_tflm_equals_litert_reference_on_vww() -> None:
    pytest.importorskip("tflite_micro")
    path = corpus_model("mlperf_tiny/vww_96_int8.tflite")
    graph = load_model(path)
    x = random_inputs(graph.inputs, 3, seed=4)
    lite = tflite_reference(path, runtime="litert")
    micro = tflite_reference(path, runtime="tflm")
    assert lite.name.startswith("LiteRT") and micro.name.startswith("TFLite Micro")
    assert micro.fallback_reason is None
    np.testing.assert_array_equal(micro.run(x)[0], lite.run(x)[0])
    a, b = lite.run_intermediates(x), micro.run_intermediates(x)
    assert set(a) == set(b) and len(a) > 25
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
