"""ONNX's own backend node tests for the quantization operators, run against the generated C
through the ``onnx.backend`` adapter :mod:`mcuai.onnx_backend`.

The cases are ONNX's: the models and the expected outputs come from
``onnx.backend.test.case.node`` (the expected values are computed by ONNX's reference
implementations of the operators), for QLinearConv, QLinearMatMul (int8 and uint8, 2D and 3D,
float32 and float16 scales), QuantizeLinear and DequantizeLinear (int8/uint8/int16, per tensor
and per axis), ConvInteger, MatMulInteger, and DynamicQuantizeLinear (which mcuai refuses).

Materialised during the run: in onnx 1.23, ``backend-test-tools generate-data`` writes only the
model-kind cases ("real" and "simple"); node cases are built in memory
(``onnx.backend.test.loader.load_model_tests(kind="node")``). The session fixture writes the
node cases of these operators to a temporary folder in generate-data's layout (``model.onnx``,
``test_data_set_0/input_<j>.pb``, ``output_<j>.pb``) and every test reads its case back from
there, so what runs is the serialized conformance data.

Every integer output must be equal, element for element, and of the declared type; float
outputs (DequantizeLinear) must be equal too (the same float32 product). :data:`CASES` lists every
case of these operators with what is expected of it: ``pass``, ``refused`` (dynamic quantization:
the adapter must raise mcuai's clear error), ``skip`` (a type or feature mcuai does not deploy,
with the reason) or ``xfail`` (strict: a missing kernel, named; the marker turns into a failure
the day the kernel exists). ``test_case_list_is_complete`` fails when ONNX adds or renames a case.

ONNX has no int8 QuantizeLinear/DequantizeLinear node case; ``test_int8_quantize_dequantize_*``
adds them (per tensor and per axis, rounding ties and saturation, opsets 13 and 21) with ONNX
Runtime as the reference, cross-checked with ONNX's reference evaluator.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from mcuai import onnx_backend
from mcuai.errors import UnsupportedError
from mcuai.onnx_backend import McuaiBackend, activation_inputs

pytestmark = pytest.mark.cc

OPS = {
    "QLinearConv",
    "QLinearMatMul",
    "QuantizeLinear",
    "DequantizeLinear",
    "ConvInteger",
    "MatMulInteger",
    "DynamicQuantizeLinear",
}

_F8 = "float8 types (e4m3fn/e5m2) are not deployed by mcuai"
_F4 = "float4 (e2m1) is not deployed by mcuai"
_SUB = "sub-byte integer types (int4/uint4/int2/uint2) are not deployed by mcuai"
_U16 = "uint16 quantized tensors are not supported (int8, uint8 and int16 are)"
_BLOCKED = "blocked quantization (block_size) is not supported"

#: Every node case of :data:`OPS` in onnx 1.23 -> (expectation, reason).
CASES: dict[str, tuple[str, str]] = {
    "test_convinteger_with_padding": ("pass", ""),
    "test_convinteger_without_padding": ("pass", ""),
    "test_matmulinteger": ("pass", ""),
    "test_dequantizelinear": ("pass", ""),
    "test_dequantizelinear_axis": ("pass", ""),
    "test_dequantizelinear_int16": ("pass", ""),
    "test_quantizelinear": ("pass", ""),
    "test_quantizelinear_axis": ("pass", ""),
    "test_quantizelinear_int16": ("pass", ""),
    "test_qlinearmatmul_2D_int8_float16": ("pass", ""),
    "test_qlinearmatmul_2D_int8_float32": ("pass", ""),
    "test_qlinearconv": ("pass", ""),
    "test_qlinearmatmul_2D_uint8_float16": ("pass", ""),
    "test_qlinearmatmul_2D_uint8_float32": ("pass", ""),
    "test_qlinearmatmul_3D_uint8_float16": ("pass", ""),
    "test_qlinearmatmul_3D_uint8_float32": ("pass", ""),
    "test_qlinearmatmul_3D_int8_float16": ("pass", ""),
    "test_qlinearmatmul_3D_int8_float32": ("pass", ""),
    "test_dynamicquantizelinear": ("refused", ""),
    "test_dynamicquantizelinear_expanded": ("refused", ""),
    "test_dynamicquantizelinear_max_adjusted": ("refused", ""),
    "test_dynamicquantizelinear_max_adjusted_expanded": ("refused", ""),
    "test_dynamicquantizelinear_min_adjusted": ("refused", ""),
    "test_dynamicquantizelinear_min_adjusted_expanded": ("refused", ""),
    "test_dequantizelinear_blocked": ("skip", _BLOCKED),
    "test_quantizelinear_blocked_asymmetric": ("skip", _BLOCKED),
    "test_quantizelinear_blocked_symmetric": ("skip", _BLOCKED),
    "test_dequantizelinear_e4m3fn": ("skip", _F8),
    "test_dequantizelinear_e4m3fn_float16": ("skip", _F8),
    "test_dequantizelinear_e4m3fn_zero_point": ("skip", _F8),
    "test_dequantizelinear_e5m2": ("skip", _F8),
    "test_quantizelinear_e4m3fn": ("skip", _F8),
    "test_quantizelinear_e5m2": ("skip", _F8),
    "test_dequantizelinear_float4e2m1": ("skip", _F4),
    "test_quantizelinear_float4e2m1": ("skip", _F4),
    "test_dequantizelinear_int4": ("skip", _SUB),
    "test_dequantizelinear_uint4": ("skip", _SUB),
    "test_dequantizelinear_int2": ("skip", _SUB),
    "test_dequantizelinear_uint2": ("skip", _SUB),
    "test_quantizelinear_int4": ("skip", _SUB),
    "test_quantizelinear_uint4": ("skip", _SUB),
    "test_quantizelinear_int2": ("skip", _SUB),
    "test_quantizelinear_uint2": ("skip", _SUB),
    "test_dequantizelinear_uint16": ("skip", _U16),
    "test_quantizelinear_uint16": ("skip", _U16),
}


def _write_tensor(path: Path, value: object, name: str) -> None:
    t = value if isinstance(value, onnx.TensorProto) else numpy_helper.from_array(value, name)
    path.write_bytes(t.SerializeToString())


@pytest.fixture(scope="session")
def node_cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ONNX's node cases of :data:`OPS`, written in ``generate-data``'s layout:
    ``<dir>/node/<case>/model.onnx`` and ``test_data_set_<i>/{input,output}_<j>.pb``."""
    from onnx.backend.test.loader import load_model_tests

    root = tmp_path_factory.mktemp("onnx_backend_data") / "node"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = load_model_tests(kind="node")
    for case in cases:
        assert case.model is not None and case.data_sets is not None
        if not {n.op_type for n in case.model.graph.node} & OPS:
            continue
        d = root / case.name
        d.mkdir(parents=True)
        (d / "model.onnx").write_bytes(case.model.SerializeToString())
        g = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = d / f"test_data_set_{i}"
            ds.mkdir()
            for j, v in enumerate(inputs):
                _write_tensor(ds / f"input_{j}.pb", v, g.input[j].name)
            for j, v in enumerate(outputs):
                _write_tensor(ds / f"output_{j}.pb", v, g.output[j].name)
    return root


def _load(
    case_dir: Path,
) -> tuple[onnx.ModelProto, list[tuple[list[np.ndarray], list[np.ndarray]]]]:
    model = onnx.load(str(case_dir / "model.onnx"))
    sets = []
    for ds in sorted(case_dir.glob("test_data_set_*")):
        n_in = len(list(ds.glob("input_*.pb")))
        n_out = len(list(ds.glob("output_*.pb")))
        ins = [
            numpy_helper.to_array(onnx.load_tensor(str(ds / f"input_{j}.pb"))) for j in range(n_in)
        ]
        outs = [
            numpy_helper.to_array(onnx.load_tensor(str(ds / f"output_{j}.pb")))
            for j in range(n_out)
        ]
        sets.append((ins, outs))
    return model, sets


def test_case_list_is_complete(node_cases: Path) -> None:
    found = {p.name for p in node_cases.iterdir()}
    assert found == set(CASES), (sorted(found - set(CASES)), sorted(set(CASES) - found))


def _params() -> list[object]:
    out: list[object] = []
    for name, (kind, reason) in CASES.items():
        marks = [pytest.mark.xfail(strict=True, raises=UnsupportedError, reason=reason)]
        out.append(
            pytest.param(name, kind, reason, id=name, marks=marks if kind == "xfail" else [])
        )
    return out


@pytest.mark.parametrize(("name", "kind", "reason"), _params())
def test_onnx_node_case(node_cases: Path, name: str, kind: str, reason: str) -> None:
    if kind == "skip":
        pytest.skip(reason)
    model, sets = _load(node_cases / name)
    rep = McuaiBackend.prepare(model)
    for inputs, expected in sets:
        if kind == "refused":
            with pytest.raises(UnsupportedError) as e:
                rep.run(inputs)
            msg = str(e.value)
            assert "dynamic quantization is not supported" in msg, msg
            assert "mcuai quantize" in msg, msg
            continue
        got = rep.run(inputs)
        assert len(got) == len(expected)
        for vi, g, want in zip(model.graph.output, got, expected, strict=True):
            assert g.dtype == want.dtype, (vi.name, g.dtype, want.dtype)
            assert g.shape == want.shape, (vi.name, g.shape, want.shape)
            assert np.array_equal(g, want), (vi.name, g.ravel()[:16], want.ravel()[:16])


def test_parameters_bound_per_call_and_cached(node_cases: Path) -> None:
    """MatMulInteger's B and zero points are bound at each run: other values give other code,
    whose results follow independent integer math; the same values reuse the compiled code."""
    model, sets = _load(node_cases / "test_matmulinteger")
    assert activation_inputs(model) == {"A"}
    rep = McuaiBackend.prepare(model)
    a, b, a_zp, b_zp = sets[0][0]
    rng = np.random.default_rng(0)
    b2 = rng.integers(0, 256, size=b.shape, dtype=np.uint8)
    (y,) = rep.run([a, b2, a_zp, b_zp])
    want = (a.astype(np.int32) - a_zp.astype(np.int32)) @ (
        b2.astype(np.int32) - b_zp.astype(np.int32)
    )
    assert y.dtype == np.int32 and np.array_equal(y, want)
    first = rep.last
    a2 = rng.integers(0, 256, size=a.shape, dtype=np.uint8)
    (y2,) = rep.run({"A": a2, "B": b2, "a_zero_point": a_zp, "b_zero_point": b_zp})
    assert rep.last is first  # same parameters: same compiled model
    want2 = (a2.astype(np.int32) - a_zp.astype(np.int32)) @ (
        b2.astype(np.int32) - b_zp.astype(np.int32)
    )
    assert np.array_equal(y2, want2)
    assert len(onnx_backend._COMPILED) >= 1


def test_backend_device_and_bad_calls(node_cases: Path) -> None:
    from mcuai.errors import UsageError

    model, sets = _load(node_cases / "test_quantizelinear")
    assert McuaiBackend.supports_device("CPU") and not McuaiBackend.supports_device("CUDA")
    with pytest.raises(UsageError, match="host CPU"):
        McuaiBackend.prepare(model, device="CUDA")
    with pytest.raises(UsageError, match="not graph inputs"):
        McuaiBackend.prepare(model, activations=["nope"])
    rep = McuaiBackend.prepare(model)
    with pytest.raises(UsageError, match="takes 3 inputs"):
        rep.run(sets[0][0][:1])
    # run_model (the base class's prepare + run) works too
    (y,) = McuaiBackend.run_model(model, sets[0][0])
    assert np.array_equal(y, sets[0][1][0])


def _qdq_model(
    op: str, x_type: int, shape: list[int], axis: int | None, opset: int
) -> onnx.ModelProto:
    from onnx import TensorProto, helper

    out_type = TensorProto.INT8 if op == "QuantizeLinear" else TensorProto.FLOAT
    kw = {} if axis is None else {"axis": axis}
    node = helper.make_node(op, ["x", "scale", "zp"], ["y"], **kw)
    g = helper.make_graph(
        [node],
        f"{op}_int8",
        [
            helper.make_tensor_value_info("x", x_type, shape),
            helper.make_tensor_value_info("scale", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("zp", TensorProto.INT8, []),
        ],
        [helper.make_tensor_value_info("y", out_type, shape)],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


@pytest.mark.ref
@pytest.mark.parametrize("opset", [13, 21])
@pytest.mark.parametrize("axis", [None, 1])
@pytest.mark.parametrize("op", ["QuantizeLinear", "DequantizeLinear"])
def test_int8_quantize_dequantize_match_onnxruntime(op: str, axis: int | None, opset: int) -> None:
    """ONNX's node tests have no int8 Q/DQ case: int8, per tensor and per axis, through the
    adapter against ONNX Runtime (and ONNX's reference evaluator), with ties and saturation."""
    import onnxruntime as ort
    from onnx import TensorProto
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(7)
    shape = [1, 3, 4, 5]
    if axis is None:
        scale = np.array(0.05, np.float32)
        zp = np.array(-3, np.int8)
    else:
        scale = np.array([0.05, 0.125, 0.02], np.float32)
        zp = np.array([-3, 0, 10], np.int8)
    bshape = (1, -1, 1, 1)
    if op == "QuantizeLinear":
        steps = rng.integers(-300, 300, size=shape).astype(np.float32)
        ties = (steps + np.float32(0.5)) * scale.reshape(bshape)  # exact halves, saturating
        x = np.where(rng.random(shape) < 0.5, ties, rng.normal(size=shape) * 4).astype(np.float32)
        x_type = TensorProto.FLOAT
    else:
        x = rng.integers(-128, 128, size=shape, dtype=np.int8)
        x_type = TensorProto.INT8
    model = _qdq_model(op, x_type, shape, axis, opset)
    if axis is not None:  # per-axis parameters are 1-D
        for vi in model.graph.input[1:]:
            vi.type.tensor_type.shape.dim.add().dim_value = 3
    onnx.checker.check_model(model)
    feeds = {"x": x, "scale": scale, "zp": zp}
    so = ort.SessionOptions()
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)[0]
    if opset >= 19:  # the reference evaluator implements these ops from opset 19
        assert np.array_equal(ReferenceEvaluator(model).run(None, feeds)[0], want)
    (got,) = McuaiBackend.prepare(model).run([x, scale, zp])
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want), (got.ravel()[:12], want.ravel()[:12])


@pytest.mark.parametrize(
    "name", ["test_convinteger_with_padding", "test_qlinearmatmul_2D_int8_float32"]
)
def test_run_node(node_cases: Path, name: str) -> None:
    """``run_node`` (one node, output types from ONNX's shape inference or ``outputs_info``)
    gives ONNX's expected outputs."""
    model, sets = _load(node_cases / name)
    node = model.graph.node[0]
    inputs, expected = sets[0]
    (y,) = McuaiBackend.run_node(node, inputs)
    assert y.dtype == expected[0].dtype and np.array_equal(y, expected[0])
    named = dict(zip([n for n in node.input if n], inputs, strict=True))
    info = [(expected[0].dtype, expected[0].shape)]
    (y2,) = McuaiBackend.run_node(node, named, outputs_info=info, opset_version=13)
    assert np.array_equal(y2, expected[0])
