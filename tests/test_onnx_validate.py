"""``validate`` for ONNX models: the ONNX Runtime reference (same results as a plain default
session, intermediate tensors read without changing the numerics), the map from IR tensors to
ONNX tensors and layouts used per layer, end to end on models the kernels run today, and
dynamic quantization refused.

Bit-exactness of the C code with ONNX Runtime is not asserted here (the ORT-rule kernels come
later); the per-layer map is checked exactly with a stand-in for the C model that returns ONNX
Runtime's own values in the IR's layout and types.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import corpus_model
from helpers import onnx_models as om
from mcuai.api import analyze, load_model, optimize
from mcuai.codegen.generate import generate_code
from mcuai.errors import UnsupportedError
from mcuai.ir.dtypes import DType
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.quantize import quantize_model
from mcuai.validate.data import batched_shape, random_inputs
from mcuai.validate.onnx_reference import LEVELS, OnnxReference, _s8_to_u8, onnx_reference
from mcuai.validate.run import (
    OnnxLayout,
    _to_onnx_layout,
    as_ir_values,
    onnx_layouts,
    validate_code,
    validate_model,
)
from test_cli_analyze import run_cli

pytestmark = pytest.mark.ref

QDQ_CORPUS = [
    "mlperf_tiny_onnx_qdq/kws_dscnn_qdq.onnx",
    "mlperf_tiny_onnx_qdq/ic_resnet8_qdq.onnx",
    "mlperf_tiny_onnx_qdq/vww_mobilenet_v1_qdq.onnx",
    "mlperf_tiny_onnx_qdq/ad_deep_autoencoder_qdq.onnx",
]


def tiny_cnn(seed: int = 0) -> onnx.ModelProto:
    """Conv3x3+Relu -> depthwise3x3+Relu -> Conv1x1 -> GlobalAveragePool -> Flatten -> Gemm on
    an NCHW [1,3,8,8] input: only ops the int8 kernels run today (no softmax)."""
    rng = np.random.default_rng(seed)

    def w(name: str, *shape: int, scale: float = 0.3) -> TensorProto:
        return numpy_helper.from_array((rng.normal(size=shape) * scale).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], "relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], "dw", pads=[1, 1, 1, 1], group=8),
        helper.make_node("Relu", ["c2"], ["r2"], "relu2"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], "pw"),
        helper.make_node("GlobalAveragePool", ["c3"], ["g"], "gap"),
        helper.make_node("Flatten", ["g"], ["f"], "flat"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], "fc", transB=1),
    ]
    inits = [
        w("w1", 8, 3, 3, 3),
        w("b1", 8, scale=0.1),
        w("w2", 8, 1, 3, 3),
        w("b2", 8, scale=0.1),
        w("w3", 8, 8, 1, 1),
        w("b3", 8, scale=0.1),
        w("wf", 5, 8),
        w("bf", 5, scale=0.1),
    ]
    g = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("onnx_validate")
    out: dict[str, Path] = {}
    for name, build in {"cnn": om.residual_cnn, "mlp": om.mlp, "conv1d": om.conv1d_net}.items():
        f = om.save(build(), d / f"{name}.onnx")
        out[f"{name}/float"] = f
        out[f"{name}/qdq_s8"] = om.quantize_qdq(f, d / f"{name}_qdq_s8.onnx")
        out[f"{name}/qdq_u8"] = om.quantize_qdq(
            f, d / f"{name}_qdq_u8.onnx", per_channel=False, activation="uint8", weight="uint8"
        )
        out[f"{name}/qop_u8"] = om.quantize_qoperator(f, d / f"{name}_qop_u8.onnx")
        out[f"{name}/qop_s8"] = om.quantize_qoperator(
            f, d / f"{name}_qop_s8.onnx", per_channel=True, activation="int8", weight="int8"
        )
    tiny = om.save(tiny_cnn(), d / "tiny.onnx")
    out["tiny/float"] = tiny
    calib = d / "tiny_calib.npz"
    rng = np.random.default_rng(1)
    np.savez(calib, x=rng.normal(size=(8, 3, 8, 8)).astype(np.float32))
    out["tiny/qdq_s8"] = d / "tiny_qdq_s8.onnx"
    quantize_model(tiny, calib, out["tiny/qdq_s8"])
    out["cnn/dynamic"] = om.quantize_dyn(out["cnn/float"], d / "cnn_dynamic.onnx")
    return out


def _inputs(ref: OnnxReference, n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.uniform(-2, 2, size=batched_shape(s, n)).astype(dt)
        for s, dt in zip(ref._in_shapes, ref._in_dtypes, strict=True)
    ]


def _plain_ort(path: Path, inputs: list[np.ndarray], shapes: list[tuple[int, ...]]) -> list[Any]:
    """Every sample through a plain default session (what a user runs)."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    n = inputs[0].shape[0]
    outs: list[list[np.ndarray]] = []
    for k in range(n):
        feeds = {nm: a[k].reshape(s) for nm, a, s in zip(names, inputs, shapes, strict=True)}
        got = sess.run(None, feeds)
        outs = outs or [[] for _ in got]
        for o, v in zip(outs, got, strict=True):
            o.append(v)
    return [np.stack(o) for o in outs]


# ---------------------------------------------------------------------------------------------
# the reference runner


VARIANTS = [f"{m}/{q}" for m in ("cnn", "mlp", "conv1d") for q in ("float", "qdq_s8", "qdq_u8")]
VARIANTS += [f"{m}/{q}" for m in ("cnn", "mlp", "conv1d") for q in ("qop_u8", "qop_s8")]


@pytest.mark.parametrize("variant", VARIANTS)
def test_reference_equals_onnxruntime_and_intermediates_keep_the_numerics(
    models: dict[str, Path], variant: str
) -> None:
    path = models[variant]
    ref = onnx_reference(path)
    assert ref.name.startswith("ONNX Runtime ") and "ORT_ENABLE_ALL" in ref.name
    x = _inputs(ref, 3)
    got = ref.run(x)
    direct = _plain_ort(path, x, ref._in_shapes)
    for g, d in zip(got, direct, strict=True):
        assert np.array_equal(g.reshape(d.shape), d)
    inter = ref.run_intermediates(x)
    assert ref.probe_level in LEVELS[:2]  # the probe reads tensors without changing anything
    for name, g in zip(ref.output_names, got, strict=True):
        assert np.array_equal(inter[name], g)
    for name, a in zip(ref.input_names, x, strict=True):
        assert np.array_equal(inter[name], a)
    # every quantized activation the model states (QuantizeLinear / QOperator outputs) is read,
    # with the model's own integer type (int8 even where ORT computes in uint8)
    m = onnx.load(str(path))
    zp_types = {
        t.name: numpy_helper.to_array(t).dtype
        for t in m.graph.initializer
        if "zero_point" in t.name
    }
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear":
            assert n.output[0] in inter, n.output[0]
            assert inter[n.output[0]].dtype == zp_types[n.input[2]], n.output[0]
            assert inter[n.output[0]].shape[0] == 3


def test_intermediates_agree_with_unfused_onnxruntime(models: dict[str, Path]) -> None:
    """Tensor names map to the right values: within 1 LSB of ONNX Runtime without graph
    optimizations (float arithmetic for every op) on a small model."""
    path = models["cnn/qdq_s8"]
    ref = onnx_reference(path)
    feeds = om.random_inputs(path)
    unfused = om.ort_values(path, feeds)
    got = ref.run_intermediates([feeds[n] for n in ref.input_names])
    compared = 0
    for name, v in got.items():
        if name in unfused and v.dtype.kind in "iu":
            u = unfused[name]
            assert v.dtype == u.dtype, name
            diff = np.abs(v.reshape(u.shape).astype(int) - u.astype(int))
            assert diff.max() <= 1, name
            compared += 1
    assert compared >= 8


def test_s8_to_u8_emulation_follows_onnxruntime_rule(models: dict[str, Path]) -> None:
    m = onnx.load(str(models["cnn/qdq_s8"]))
    g = m.graph
    uses: dict[str, int] = {}
    for n in g.node:
        for x in n.input:
            uses[x] = uses.get(x, 0) + 1
    converted = _s8_to_u8(g)
    assert converted and set(converted.values()) == {-128}
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type != "QuantizeLinear":
            continue
        t = n.output[0]
        if t in converted:
            assert inits[n.input[2]].dtype == np.uint8
            consumer = next(c for c in g.node if t in c.input)
            assert consumer.op_type == "DequantizeLinear" and consumer.input[2] == n.input[2]
        else:  # ORT keeps int8 where a Q has several consumers (e.g. the residual branch)
            assert uses[t] != 1 or inits[n.input[2]].dtype != np.int8


@pytest.mark.corpus
@pytest.mark.parametrize("rel", QDQ_CORPUS)
def test_corpus_intermediates_read_every_quantized_tensor(rel: str) -> None:
    path = corpus_model(rel)
    ref = onnx_reference(path)
    x = _inputs(ref, 2)
    out = ref.run(x)
    inter = ref.run_intermediates(x)
    assert ref.probe_level == LEVELS[0]
    for name, o in zip(ref.output_names, out, strict=True):
        assert np.array_equal(inter[name], o)
    graph = load_model(path)
    layouts = onnx_layouts(graph)
    assert layouts is not None
    int_names = {lay.onnx for lay in layouts.values() if not lay.quantized}
    missing = [n for n in int_names if n not in inter]
    assert len(missing) <= 1, missing  # at most the input's QuantizeLinear


def test_missing_file_and_not_onnx(tmp_path: Path) -> None:
    from mcuai.errors import McuaiError, ModelError

    with pytest.raises(ModelError, match="no such file"):
        onnx_reference(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage that is not a model")
    with pytest.raises(McuaiError, match=str(bad)):
        onnx_reference(bad)


# ---------------------------------------------------------------------------------------------
# the map from IR tensors to ONNX tensors


def test_layout_transpose_and_per_axis_quant() -> None:
    lay = OnnxLayout("v", (0, 2, 3, 1), quantized=False)  # an NCHW value held NHWC
    q = QuantParams(np.array([0.1, 0.2, 0.3], np.float32), np.zeros(3, np.int64), axis=3)
    t = Tensor("v/nhwc", (1, 4, 5, 3), DType.INT8, q)
    onnx_vals = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5).astype(np.int8)  # N=2, NCHW
    ir_vals = np.transpose(onnx_vals, (0, 2, 3, 1))  # what the C model holds
    back, desc = _to_onnx_layout(ir_vals, t, lay)
    assert np.array_equal(back, onnx_vals)
    assert desc.shape == (1, 3, 4, 5) and desc.quant is not None and desc.quant.axis == 1
    assert lay.onnx_shape(t.shape) == (1, 3, 4, 5)


def test_reference_values_as_ir_values() -> None:
    t8 = Tensor("a", (1, 4), DType.INT8, QuantParams.per_tensor(0.5, -3))
    u8 = np.array([[0, 127, 128, 255]], np.uint8)
    assert as_ir_values(u8, t8).tolist() == [[-128, -1, 0, 127]]  # type: ignore[union-attr]
    tu = Tensor("b", (1, 4), DType.UINT8, QuantParams.per_tensor(0.5, 125))
    s8 = np.array([[-128, -1, 0, 127]], np.int8)
    assert as_ir_values(s8, tu).tolist() == [[0, 127, 128, 255]]  # type: ignore[union-attr]
    # real values of a quantized IR tensor: ONNX QuantizeLinear (round half to even, saturate)
    real = np.array([[0.25, 0.75, -1000.0, 1000.0]], np.float32)
    assert as_ir_values(real, t8).tolist() == [[-3, -1, -128, 127]]  # type: ignore[union-attr]
    tf = Tensor("c", (1, 4), DType.FLOAT32)
    assert as_ir_values(real, tf) is real
    assert as_ir_values(s8, tf) is None
    t32 = Tensor("d", (1, 4), DType.INT32, QuantParams.per_tensor(1.0, 0))
    assert as_ir_values(s8, t32) is None


def _mirror_c(graph, code, ref):  # type: ignore[no-untyped-def]
    """A stand-in for the compiled C model that returns ONNX Runtime's values in the IR's
    layouts and types: per-layer validation must then find every mapped layer bit-exact."""
    layouts = onnx_layouts(graph)
    assert layouts is not None

    def to_ir(v: np.ndarray, t: Tensor) -> np.ndarray:
        lay = layouts[t.name]
        full = v.reshape(lay.onnx_shape(t.shape))
        ir = np.transpose(full, lay.perm)  # ir_shape[j] = onnx_shape[perm[j]]
        out = as_ir_values(ir, t)
        assert out is not None
        return out.reshape(t.shape)

    def run_c(
        sample: list[np.ndarray], per_layer: bool
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        batch = [
            s.reshape(batched_shape(t.shape, 1)) for s, t in zip(sample, graph.inputs, strict=True)
        ]
        values = ref.run_intermediates(batch)
        outs = [
            values[name].reshape(t.shape)
            for name, t in zip(ref.output_names, graph.outputs, strict=True)
        ]
        seen = []
        for obs in code.observations:
            t = obs.tensor
            lay = layouts.get(t.name)
            if lay is None or lay.onnx not in values:
                seen.append(np.zeros(t.shape, t.dtype.np))  # unmatched anyway
            else:
                seen.append(to_ir(values[lay.onnx], t))
        return outs, seen

    return run_c


@pytest.mark.parametrize(
    "key",
    [
        "tiny/qdq_s8",
        "conv1d/qdq_s8",
        "cnn/qop_s8",
        "cnn/qdq_u8",
        *[f"corpus:{r}" for r in QDQ_CORPUS[:3]],
    ],
)
def test_per_layer_map_finds_every_tensor_in_its_layout(models: dict[str, Path], key: str) -> None:
    path = corpus_model(key.split(":", 1)[1]) if key.startswith("corpus:") else models[key]
    graph = optimize(load_model(path))
    try:
        code = generate_code(graph, "net", path.name)
    except UnsupportedError as e:
        pytest.skip(f"the kernels cannot run this model yet: {str(e).splitlines()[0]}")
    ref = onnx_reference(path)
    inputs = random_inputs(graph.inputs, 2, seed=3)
    rep = validate_code(
        graph,
        code,
        _mirror_c(graph, code, ref),
        ref,
        path,
        inputs,
        "random",
        None,
        True,
        "host",
        progress=False,
    )
    assert rep.layers is not None and len(rep.layers) >= len(code.observations) // 2
    layouts = onnx_layouts(graph)
    assert layouts is not None
    for name in rep.unmatched_layers:
        # only IR tensors the importer could not relate to an ONNX value (e.g. the 4-D form
        # of a 1-D convolution's output), or float ONNX values fused away in ORT's graph
        assert name not in layouts or layouts[name].quantized, name
    for la in rep.layers:
        m = la.metrics
        if m.bit_exact is not None:
            assert m.bit_exact == 1.0 and m.max_lsb == 0, la
        else:
            assert m.rmse == 0.0, la
    assert rep.first_divergence is None
    perms = [layouts[la.metrics.tensor].perm for la in rep.layers]
    assert any(p != tuple(range(len(p))) for p in perms), "no transposed layer was compared"


# ---------------------------------------------------------------------------------------------
# end to end (C compiled for the host)


@pytest.mark.cc
def test_validate_onnx_end_to_end(models: dict[str, Path], require_cc: str) -> None:
    rep = validate_model(models["tiny/qdq_s8"], batches=3, per_layer=True, progress=False)
    assert rep.reference.startswith("ONNX Runtime") and rep.samples == 3
    assert [r.pair for r in rep.rows] == ["C vs original"]
    out = rep.rows[0].metrics
    assert out.samples == 3 and out.elements == 15 and out.cos > 0.99
    assert rep.layers is not None and len(rep.layers) >= 5 and not rep.unmatched_layers
    convs = [la for la in rep.layers if la.op in ("conv2d", "depthwise_conv2d")]
    assert len(convs) == 3
    for la in convs:  # NHWC in C, NCHW in ORT: a wrong transpose would not be this close
        assert la.metrics.cos > 0.999 and la.metrics.max_lsb is not None
        assert la.metrics.max_lsb <= 2


@pytest.mark.cc
def test_validate_onnx_cli_with_inputs_in_model_layout(
    models: dict[str, Path], tmp_path: Path, require_cc: str
) -> None:
    vi = tmp_path / "vi.npz"
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3, 8, 8)).astype(np.float32)  # NCHW, as the ONNX model takes it
    np.savez(vi, x=x, output_0=rng.integers(0, 5, size=4))
    js = tmp_path / "v.json"
    r = run_cli(
        "validate",
        "-m",
        str(models["tiny/qdq_s8"]),
        "-vi",
        str(vi),
        "-vo",
        str(vi),
        "--per-layer",
        "--json",
        str(js),
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(js.read_text())
    assert d["reference"].startswith("ONNX Runtime") and d["samples"] == 4
    assert [row["pair"] for row in d["rows"]] == [
        "C vs original",
        "C vs ground truth",
        "original vs ground truth",
    ]
    assert d["per_layer"] and d["unmatched_layers"] == []


@pytest.mark.cc
@pytest.mark.corpus
def test_validate_corpus_kws_runs_per_layer(require_cc: str) -> None:
    path = corpus_model("mlperf_tiny_onnx_qdq/kws_dscnn_qdq.onnx")
    rep = validate_model(path, batches=2, per_layer=True, progress=False)
    assert rep.reference.startswith("ONNX Runtime")
    assert rep.layers is not None and len(rep.layers) >= 10
    assert len(rep.unmatched_layers) <= 1
    assert rep.rows[0].metrics.acc is not None


# ---------------------------------------------------------------------------------------------
# dynamic quantization


def test_dynamic_quantization_is_refused(models: dict[str, Path]) -> None:
    path = models["cnn/dynamic"]
    with pytest.raises(UnsupportedError, match="dynamic quantization is not supported"):
        validate_model(path, progress=False)
    with pytest.raises(UnsupportedError, match="Static \\(calibrated\\) quantization"):
        analyze(path)
    r = run_cli("validate", "-m", str(path))
    assert r.returncode == 2 and "dynamic quantization" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli("analyze", "-m", str(path))
    assert r.returncode == 2 and "mcuai quantize" in r.stderr
