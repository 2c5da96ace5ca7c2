"""ONNX frontend: small models built with onnx.helper and quantized with ONNX Runtime's own
quantizer (QDQ and QOperator, int8 and uint8, per-channel and per-tensor, reduce_range), the
MLPerf Tiny ONNX QDQ models of the corpus, dynamic quantization refused, bad files.

Shapes are checked node by node against ONNX Runtime's intermediate values: every IR tensor that
holds an ONNX value (in the layout the importer records in ``metadata["onnx_layouts"]``) must
have that value's shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import corpus_model
from helpers import onnx_models as om
from mcuai.api import analyze, load_model
from mcuai.errors import McuaiError, ModelError, UnsupportedError
from mcuai.frontends.onnx import import_onnx
from mcuai.frontends.onnx.qparams import QuantTable
from mcuai.frontends.onnx.reader import read_model
from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.lower.ort import FIXED_POINT_NUMERICS, ORT_NUMERICS
from mcuai.ops._common import Activation
from mcuai.report.analysis import runs_in
from test_cli_analyze import run_cli

FLOAT_MODELS: dict[str, Callable[[], onnx.ModelProto]] = {
    "cnn": om.residual_cnn,
    "cnn_bn": lambda: om.residual_cnn(batch_norm=True),
    "mlp": om.mlp,
    "mid": om.float_middle,
    "zoo": om.ops_zoo,
    "convv": om.conv_variants,
    "att": om.attention_like,
    "conv1d": om.conv1d_net,
}
QUANTIZED: dict[str, Callable[[Path, Path], Path]] = {
    "qdq_s8_pc": om.quantize_qdq,
    "qdq_u8_pt": lambda f, o: om.quantize_qdq(
        f, o, per_channel=False, activation="uint8", weight="uint8"
    ),
    "qdq_u8w_pc": lambda f, o: om.quantize_qdq(f, o, activation="uint8", weight="uint8"),
    "qdq_rr": lambda f, o: om.quantize_qdq(f, o, reduce_range=True, activation="uint8"),
    "qop_u8_pt": om.quantize_qoperator,
    "qop_s8_pc": lambda f, o: om.quantize_qoperator(
        f, o, per_channel=True, activation="int8", weight="int8"
    ),
}
WEIGHTED = {"conv2d", "depthwise_conv2d", "fully_connected", "transpose_conv"}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every float model and its quantized variants, built once: ``{"cnn/qdq_s8_pc": path}``."""
    d = tmp_path_factory.mktemp("onnx_models")
    out: dict[str, Path] = {}
    for name, build in FLOAT_MODELS.items():
        f = om.save(build(), d / f"{name}.onnx")
        out[f"{name}/float"] = f
        for q, quantize in QUANTIZED.items():
            out[f"{name}/{q}"] = quantize(f, d / f"{name}_{q}.onnx")
    for name, build in {
        "ln": om.layer_norm_block,
        "gelu": om.gelu_model,
        "integer": om.integer_ops,
        "handmade": om.qdq_handmade,
        "unsupported": om.unsupported_ops,
    }.items():
        out[name] = om.save(build(), d / f"{name}.onnx")
    return out


def _elem_types(path: Path) -> dict[str, int]:
    table = QuantTable(read_model(path.read_bytes(), str(path)))
    return {k: helper.np_dtype_to_tensor_dtype(v) for k, v in table.dtypes.items()}


def check_against_ort(graph: Graph, path: Path) -> int:
    """Every IR tensor holding an ONNX value has ORT's shape (permuted to its layout), and
    every IR node evaluated (numpy, real-valued semantics) on ORT's values of its inputs gives
    ORT's value of its output: within 1 LSB for integer tensors, 1e-4 relative for float."""
    feeds = om.random_inputs(path)
    values = {**feeds, **om.ort_values(path, feeds, _elem_types(path))}
    layouts = json.loads(graph.metadata["onnx_layouts"])
    checked = 0
    for t in graph.tensors():
        entry = layouts.get(t.name)
        if t.is_const or entry is None or entry["onnx"] not in values:
            continue
        ref = values[entry["onnx"]].shape
        assert t.shape == tuple(ref[p] for p in entry["perm"]), (t.name, entry, ref)
        checked += 1
    model = onnx.load(str(path))
    for t, o in zip(graph.outputs, model.graph.output, strict=True):
        assert t.name == o.name
        assert t.shape == values[o.name].shape
    assert om.check_nodes_against_ort(graph, values) >= checked - len(graph.inputs)
    return checked


VARIANTS = [f"{m}/{q}" for m in FLOAT_MODELS for q in ["float", *QUANTIZED]]


@pytest.mark.ref
@pytest.mark.parametrize("variant", VARIANTS)
def test_imports_and_matches_onnxruntime(models: dict[str, Path], variant: str) -> None:
    path = models[variant]
    g = load_model(path)
    assert check_against_ort(g, path) >= len(g.nodes) // 2
    # ONNX Runtime's arithmetic, in one of its variants (fused integer kernels, unfused float
    # groups, ...), never the fixed-point approximation unless asked for
    assert all(
        (n.numerics or "").startswith(ORT_NUMERICS) and n.numerics != FIXED_POINT_NUMERICS
        for n in g.nodes
    ), [(n.origin, n.numerics) for n in g.nodes]
    for t in [*g.inputs, *g.outputs] if not variant.startswith("att/") else g.inputs:
        assert t.dtype is DType.FLOAT32  # float model I/O stays float
    a = analyze(path)
    assert a.macc > 0 and a.arena_bytes > 0
    if variant.endswith("/float"):
        assert g.source == "onnx" and all(runs_in(n) == "float" for n in g.nodes)
        return
    assert g.source == ("onnx-qoperator" if "/qop" in variant else "onnx-qdq")
    act_type = DType.INT8 if "_s8" in variant else DType.UINT8
    for n in g.nodes:
        if n.op in WEIGHTED and variant.split("/", maxsplit=1)[0] not in ("zoo", "convv"):
            assert runs_in(n) == "integer", n
            assert n.output.dtype is act_type
            w = n.input(1)
            assert w.quant is not None and w.is_const
            per_channel = "_pc" in variant or "qdq_rr" in variant
            assert w.quant.per_axis == (per_channel and w.quant.channels > 1), n
            if "qdq_rr" in variant:
                assert w.data is not None and int(np.abs(w.data.astype(int)).max()) <= 64  # 7 bits


@pytest.mark.ref
def test_residual_dwsep_net_qdq_int8(models: dict[str, Path]) -> None:
    g = load_model(models["cnn/qdq_s8_pc"])
    assert [n.op for n in g.nodes] == [
        "quantize",  # float input -> int8 (graph input stays float NCHW)
        "transpose",  # int8 NCHW -> NHWC, once
        "conv2d",
        "depthwise_conv2d",
        "conv2d",
        "add",  # the residual: both operands int8, no dequantize in between
        "avg_pool2d",  # GlobalAveragePool of int8 data: ORT runs QLinearGlobalAveragePool
        "reshape",
        "reshape",
        "fully_connected",
        "softmax",
        "dequantize",  # int8 -> float model output
    ]
    conv, dw = g.nodes[2], g.nodes[3]
    assert conv.input(1).shape == (8, 3, 3, 3)  # OIHW -> OHWI
    assert g.nodes[4].input(1).shape == (8, 1, 1, 8)
    assert conv.input(1).quant is not None and conv.input(1).quant.axis == 0
    assert dw.input(1).shape == (1, 3, 3, 8)  # [Cout,1,Kh,Kw] -> [1,Kh,Kw,Cout]
    assert dw.input(1).quant is not None and dw.input(1).quant.axis == 3
    bias = conv.input(2)
    assert bias.dtype is DType.INT32 and bias.quant is not None
    xq, wq = conv.input(0).quant, conv.input(1).quant
    assert xq is not None and wq is not None
    np.testing.assert_allclose(bias.quant.scale, xq.scale * wq.scale, rtol=1e-6)
    assert g.inputs[0].shape == (1, 3, 16, 16) and g.outputs[0].shape == (1, 10)


@pytest.mark.ref
def test_float_model_fuses_activations_and_folds_batch_norm(models: dict[str, Path]) -> None:
    g = load_model(models["cnn/float"])
    conv, dw = g.nodes[1], g.nodes[2]
    assert conv.attrs.act is Activation.RELU and dw.attrs.act is Activation.RELU6
    gb = load_model(models["cnn_bn/float"])
    assert [n.op for n in gb.nodes] == [n.op for n in g.nodes]  # BN folded, no mul/add
    m = onnx.load(str(models["cnn_bn/float"]))
    init = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    k = init["g"] / np.sqrt(init["var"] + np.float32(1e-5))
    w = gb.nodes[1].input(1).data
    assert w is not None
    np.testing.assert_allclose(w, (init["w1"] * k[:, None, None, None]).transpose(0, 2, 3, 1), 1e-6)
    b = gb.nodes[1].input(2).data
    assert b is not None
    np.testing.assert_allclose(b, (init["b1"] - init["mu"]) * k + init["be"], rtol=1e-5)


@pytest.mark.ref
def test_float_op_between_qdq_islands_falls_back(models: dict[str, Path]) -> None:
    g = load_model(models["mid/qdq_s8_pc"])
    ops = [n.op for n in g.nodes]
    i = ops.index("erf")
    assert ops[i - 1] == "dequantize" and ops[i + 1] == "quantize"
    assert runs_in(g.nodes[i]) == "float"
    assert [runs_in(n) for n in g.nodes if n.op == "conv2d"] == ["integer", "integer"]
    assert any("'erf' (Erf) runs in float32" in w for w in g.warnings)
    a = analyze(models["mid/qdq_s8_pc"])
    assert a.float_layers == 1 and a.scheme.label.startswith("mixed")


@pytest.mark.ref
def test_mlp_matmul_becomes_fully_connected(models: dict[str, Path]) -> None:
    for variant in ("mlp/float", "mlp/qdq_s8_pc", "mlp/qop_u8_pt"):
        g = load_model(models[variant])
        fcs = [n for n in g.nodes if n.op == "fully_connected"]
        assert len(fcs) == 3, variant
        assert fcs[0].input(1).shape == (24, 32)  # MatMul [K,N] -> FC weights [N,K]
        assert [n.op for n in g.nodes].count("batch_matmul") == 0


@pytest.mark.ref
def test_qoperator_ops(models: dict[str, Path]) -> None:
    seen = {
        n.op_type
        for v in ("cnn", "mlp", "zoo")
        for n in onnx.load(str(models[f"{v}/qop_u8_pt"])).graph.node
    }
    for op in (
        "QLinearConv",
        "QLinearAdd",
        "QLinearGlobalAveragePool",
        "QGemm",
        "QLinearSoftmax",
        "QLinearMatMul",
        "QLinearSigmoid",
        "QLinearLeakyRelu",
        "QLinearConcat",
        "QLinearAveragePool",
        "QLinearMul",
    ):
        assert op in seen, op
    for v in ("cnn", "mlp"):
        g = load_model(models[f"{v}/qop_u8_pt"])
        assert all(runs_in(n) != "float" for n in g.nodes)
        assert {t.dtype for n in g.nodes for t in n.outputs if runs_in(n) == "integer"} == {
            DType.UINT8
        }


def test_integer_ops_with_static_inputs(models: dict[str, Path]) -> None:
    g = load_model(models["integer"])
    conv = next(n for n in g.nodes if n.op == "conv2d")
    assert runs_in(conv) == "integer" and conv.attrs.act is Activation.RELU
    w = conv.input(1)
    assert w.dtype is DType.UINT8 and w.quant is not None and w.quant.scalar_zero_point() == 128
    np.testing.assert_allclose(w.quant.scalar_scale(), 0.01, rtol=1e-6)  # s1 / s_x
    assert conv.output.quant is not None and conv.output.quant.scalar_scale() == np.float32(0.02)
    fc = next(n for n in g.nodes if n.op == "fully_connected")
    assert runs_in(fc) == "float"  # no constant scale requantizes MatMulInteger's result
    assert any("MatMulInteger" in w for w in g.warnings)


def test_handmade_qdq_clamp_requantize_and_int8_output(models: dict[str, Path]) -> None:
    g = load_model(models["handmade"])
    ops = [n.op for n in g.nodes]
    assert ops == ["quantize", "transpose", "conv2d", "relu", "max_pool2d", "quantize"]
    relu = g.nodes[3]
    assert (relu.attrs.lo, relu.attrs.hi) == (0.0, 4.0)  # Clip(0, 4): not a fused activation
    out = g.outputs[0]
    # the model's Transpose to NHWC is free: the NHWC data is the output, no transpose back
    assert out.name == "y" and out.dtype is DType.INT8 and out.shape == (1, 4, 4, 4)
    assert out.quant is not None and out.quant.scalar_scale() == np.float32(0.04)


def test_layer_norm_and_gelu_float_ops(models: dict[str, Path]) -> None:
    ops = [n.op for n in load_model(models["ln"]).nodes]
    assert ops == ["fully_connected", "layer_norm", "div", "erf", "add", "mul", "fully_connected"]
    assert [n.op for n in load_model(models["gelu"]).nodes] == [
        "fully_connected",
        "gelu",
        "fully_connected",
    ]


@pytest.mark.ref
def test_shape_subgraph_is_folded(models: dict[str, Path]) -> None:
    g = load_model(models["zoo/float"])
    origins = [n.origin for n in g.nodes]
    assert not {"shape", "gather", "unsq_n", "shape_cat"} & set(origins)
    reshape = next(n for n in g.nodes if n.origin == "reshape")
    assert reshape.attrs.shape == (1, 2)  # Reshape(us, Concat(Gather(Shape(us)), [-1]))


def test_io_layout_nhwc(models: dict[str, Path]) -> None:
    g = load_model(models["cnn/float"], io_layout="nhwc")
    assert g.inputs[0].shape == (1, 16, 16, 3) and g.nodes[0].op == "conv2d"
    g = load_model(models["mid/qdq_s8_pc"], io_layout="nhwc")
    assert g.inputs[0].shape == (1, 8, 8, 2) and g.outputs[0].shape == (1, 8, 8, 6)
    assert "transpose" not in [n.op for n in g.nodes]
    for variant, shape in (("cnn/qdq_s8_pc", (1, 16, 16, 3)), ("conv1d/qdq_u8_pt", (1, 40, 2))):
        g = load_model(models[variant], io_layout="nhwc")
        assert g.inputs[0].shape == shape and "transpose" not in [n.op for n in g.nodes]
        assert g.nodes[0].op == "quantize" and g.metadata["io_layout"] == "nhwc"
    with pytest.raises(McuaiError, match="io_layout"):
        import_onnx(models["cnn/float"], io_layout="nchw")


def test_dynamic_quantization_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    p = om.quantize_dyn(models["cnn/float"], tmp_path / "dyn.onnx")
    with pytest.raises(UnsupportedError) as e:
        load_model(p)
    msg = str(e.value)
    assert str(p) in msg and "dynamic quantization" in msg
    assert "'x_QuantizeLinear' (DynamicQuantizeLinear)" in msg
    assert "(ConvInteger): fed by" in msg and "static (calibrated)" in msg.lower()
    assert "mcuai quantize" in msg
    r = run_cli("analyze", "-m", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "DynamicQuantizeLinear" in r.stderr


def test_unsupported_ops_listed_at_once(models: dict[str, Path]) -> None:
    with pytest.raises(UnsupportedError) as e:
        load_model(models["unsupported"])
    msg = str(e.value)
    for part in ("'round_it' (Round)", "'reflect_pad' (Pad)", "'topk' (TopK)", "'custom' (MyOp)"):
        assert part in msg, msg
    assert "4 problem(s)" in msg


def _clean_cli_error(path: Path, *words: str) -> None:
    r = run_cli("analyze", "-m", str(path))
    assert r.returncode == 2, r.stdout
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines[0].startswith("error: ") and str(path) in lines[0], r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_corrupt_and_truncated_files(models: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"\x08\x07" + bytes(range(256)) * 4)
    with pytest.raises(ModelError, match=r"garbage\.onnx"):
        load_model(bad)
    _clean_cli_error(bad, "ONNX")
    trunc = tmp_path / "truncated.onnx"
    trunc.write_bytes(models["cnn/float"].read_bytes()[:300])
    with pytest.raises(ModelError, match=r"truncated\.onnx"):
        load_model(trunc)
    _clean_cli_error(trunc)
    # ONNX content without the suffix is recognised
    nosuffix = tmp_path / "model.bin"
    nosuffix.write_bytes(models["mlp/float"].read_bytes())
    assert load_model(nosuffix).source == "onnx"


def test_missing_initializer(models: dict[str, Path], tmp_path: Path) -> None:
    m = onnx.load(str(models["cnn/float"]))
    keep = [t for t in m.graph.initializer if t.name != "w3"]
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep)
    p = tmp_path / "missing.onnx"
    onnx.save(m, str(p))
    with pytest.raises(ModelError) as e:
        load_model(p)
    assert (
        str(p) in str(e.value) and "'w3'" in str(e.value) and "missing initializer" in str(e.value)
    )
    _clean_cli_error(p, "w3")


def test_checker_failure_and_opset(models: dict[str, Path], tmp_path: Path) -> None:
    m = onnx.load(str(models["mlp/float"]))
    m.graph.node[0].op_type = "MatMulX"  # not in the opset: the checker rejects it
    p = tmp_path / "badop.onnx"
    onnx.save(m, str(p))
    with pytest.raises(ModelError, match="invalid ONNX model"):
        load_model(p)
    m = onnx.load(str(models["mlp/float"]))
    m.opset_import[0].version = 9
    p = tmp_path / "old.onnx"
    onnx.save(m, str(p))
    with pytest.raises(UnsupportedError, match="opset 9"):
        load_model(p)


def test_dynamic_dims_and_quant_conflicts(models: dict[str, Path], tmp_path: Path) -> None:
    m = onnx.load(str(models["mlp/float"]))
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "features"
    p = tmp_path / "dyn_dim.onnx"
    onnx.save(m, str(p))
    with pytest.raises(UnsupportedError, match="dynamic dimension 'features'"):
        load_model(p)
    m = onnx.load(str(models["handmade"]))
    for t in m.graph.initializer:
        if t.name == "s_p2":
            t.CopyFrom(onnx.numpy_helper.from_array(np.asarray(0.05, np.float32), "s_p2"))
    p = tmp_path / "conflict.onnx"
    onnx.save(m, str(p))
    with pytest.raises(UnsupportedError, match="one set of quantization parameters"):
        load_model(p)


def test_resize_nearest_modes_map_exactly(tmp_path: Path) -> None:
    def build(ctm: str, nm: str) -> Path:
        n = helper.make_node(
            "Resize",
            ["x", "", "sc"],
            ["y"],
            "rs",
            mode="nearest",
            coordinate_transformation_mode=ctm,
            nearest_mode=nm,
        )
        sc = onnx.numpy_helper.from_array(np.asarray([1, 1, 2, 2], np.float32), "sc")
        g = helper.make_graph(
            [n], "r", [om._io("x", [1, 2, 3, 5])], [om._io("y", [1, 2, 6, 10])], [sc]
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        return om.save(m, tmp_path / f"{ctm}_{nm}.onnx")

    for ctm, nm in [
        ("asymmetric", "floor"),
        ("half_pixel", "round_prefer_ceil"),
        ("half_pixel", "round_prefer_floor"),
        ("align_corners", "round_prefer_ceil"),
    ]:
        g = load_model(build(ctm, nm))
        assert [n.op for n in g.nodes] == ["transpose", "resize_nearest", "transpose"]
    with pytest.raises(UnsupportedError, match="no TFLite-style kernel"):
        load_model(build("asymmetric", "ceil"))


@pytest.mark.corpus
@pytest.mark.ref
@pytest.mark.parametrize(
    "name",
    ["ad_deep_autoencoder_qdq", "ic_resnet8_qdq", "kws_dscnn_qdq", "vww_mobilenet_v1_qdq"],
)
def test_mlperf_tiny_qdq_models(name: str) -> None:
    path = corpus_model(f"mlperf_tiny_onnx_qdq/{name}.onnx")
    g = load_model(path)
    assert check_against_ort(g, path) > 0
    a = analyze(path)
    layers = {la.op: la.runs_in for la in a.layers}
    weighted = [la for la in a.layers if la.op.split("+")[0] in WEIGHTED]
    assert weighted and all(la.runs_in == "integer" for la in weighted)
    # only the final float Softmax (DQ -> Softmax -> float output, as the model states) is float
    assert a.float_layers == (0 if name.startswith("ad_") else 1)
    assert layers.get("quantize") == "conversion"
    assert [t.dtype for t in g.inputs] == [DType.FLOAT32]
    if name.startswith("ic_"):
        assert "transpose" not in [n.op for n in g.nodes]  # NHWC input: the Transpose is free


@pytest.mark.ref
@pytest.mark.parametrize("opset", [10, 11, 12])
def test_older_opsets(tmp_path: Path, opset: int) -> None:
    f = om.save(om.legacy(opset), tmp_path / f"legacy{opset}.onnx")
    q = om.quantize_qdq(f, tmp_path / f"legacy{opset}_qdq.onnx", per_channel=False)
    for p in (f, q):
        g = load_model(p)
        assert check_against_ort(g, p) > 5
        conv = next(n for n in g.nodes if n.op == "conv2d")
        assert p == q or conv.attrs.act is Activation.RELU6  # Clip(0, 6) fused (float model)
    # opset < 13 Softmax(axis=1) normalises over C*H*W: flatten, softmax, reshape back
    ops = [n.op for n in load_model(f).nodes]
    assert ops[-3:] == ["reshape", "softmax", "reshape"]


@pytest.mark.ref
def test_attention_batch_matmul_and_argmax(models: dict[str, Path]) -> None:
    for variant in ("att/float", "att/qdq_s8_pc", "att/qop_u8_pt"):
        g = load_model(models[variant])
        ops = [n.op for n in g.nodes]
        assert ops.count("batch_matmul") == 2 and ops[-1] == "arg_max", ops
        bmm = next(n for n in g.nodes if n.op == "batch_matmul")
        assert runs_in(bmm) == ("float" if variant == "att/float" else "integer")
        assert g.outputs[0].dtype is DType.INT64


@pytest.mark.parametrize("float_model", ["mlp/float", "cnn/float"])
def test_quantize_dynamic_model_refused_by_generate(
    models: dict[str, Path], tmp_path: Path, float_model: str
) -> None:
    """A model written by ORT's ``quantize_dynamic`` (MatMulInteger / ConvInteger fed by
    DynamicQuantizeLinear): ``mcuai generate`` fails with one clear error naming every dynamic
    node and pointing to static quantization, exit code 2, no traceback, no output folder."""
    p = om.quantize_dyn(models[float_model], tmp_path / "dyn.onnx")
    m = onnx.load(str(p))
    dynamic = [n.name for n in m.graph.node if n.op_type == "DynamicQuantizeLinear"]
    integer = [n.name for n in m.graph.node if n.op_type in ("MatMulInteger", "ConvInteger")]
    assert dynamic and integer
    out = tmp_path / "generated"
    r = run_cli("generate", "-m", str(p), "-o", str(out))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("error:") == 1, r.stderr
    text = " ".join(r.stderr.split())  # the console may wrap long lines
    for name in dynamic + integer:
        assert f"'{name}'" in text, (name, text)
    assert "dynamic quantization is not supported" in text
    assert "Static (calibrated) quantization is required" in text and "mcuai quantize" in text
    assert not out.exists()
