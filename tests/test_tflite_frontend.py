"""TFLite frontend: builder-made models (pure Python) and the third-party corpus, checked
against LiteRT's own reading of the same files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from conftest import MODELS, corpus_model
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import load_model
from mcuai.errors import ModelError, UnsupportedError
from mcuai.frontends.tflite import import_tflite
from mcuai.ir.verify import verify
from mcuai.ops import get_op
from mcuai.passes.pipeline import run_pipeline

SUPPORTED = [
    "mlperf_tiny/ad01_int8.tflite",
    "mlperf_tiny/kws_ref_model.tflite",
    "mlperf_tiny/pretrainedResnet_quant.tflite",
    "mlperf_tiny/str_ww_ref_model.tflite",
    "mlperf_tiny/vww_96_int8.tflite",
    "stm32ai_modelzoo_apache2/miniresnet_1stacks_64x50_tl_int8.tflite",
    "stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite",
    "stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite",
    "tflm/hello_world_int8.tflite",
    "tflm/micro_speech_quantized.tflite",
    "tflm/mobilenet_v2_quantized_1x3x224x224.tflite",
    "tflm/person_detect.tflite",
    "tflm/seanet_int16x8_golden/add0.tflite",
    "tflm/seanet_int16x8_golden/conv0.tflite",
    "tinyengine_mit/mcunet_detection.tflite",
    "tinyengine_mit/mcunet_mcunetv2_large.tflite",
    "tinyengine_mit/mcunet_vww.tflite",
]
UNSUPPORTED = {  # model -> op types that must all be listed
    "tflm/audio_preprocessor_int8.tflite": ["CUSTOM:SignalWindow", "CAST", "DIV"],
    "tflm/dtln_noise_suppression.tflite": ["UNIDIRECTIONAL_SEQUENCE_LSTM"],
    "tflm/keyword_scrambled.tflite": ["SVDF"],
    "tflm/keyword_scrambled_8bit.tflite": ["SVDF"],
    "tflm/micro_speech_lstm.tflite": ["UNIDIRECTIONAL_SEQUENCE_LSTM"],
    "tflm/trained_lstm_int8.tflite": ["UNIDIRECTIONAL_SEQUENCE_LSTM"],
}
# TFLite builtin -> IR op (independent table for the cross-check with LiteRT)
IR_OP = {
    "CONV_2D": "conv2d",
    "DEPTHWISE_CONV_2D": "depthwise_conv2d",
    "FULLY_CONNECTED": "fully_connected",
    "AVERAGE_POOL_2D": "avg_pool2d",
    "MAX_POOL_2D": "max_pool2d",
    "ADD": "add",
    "MUL": "mul",
    "RESHAPE": "reshape",
    "SOFTMAX": "softmax",
    "PAD": "pad",
    "MEAN": "mean",
    "QUANTIZE": "quantize",
    "DEQUANTIZE": "dequantize",
    "TRANSPOSE": "transpose",
    "RESIZE_NEAREST_NEIGHBOR": "resize_nearest",
}


def _conv_model(padding: int, stride: int, act: int, per_channel: bool) -> bytes:
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 7, 6, 3], "int8", scale=0.02, zero_point=-5)
    wq = (
        {"scale": [0.01, 0.02, 0.03, 0.04], "zero_point": [0] * 4}
        if per_channel
        else {"scale": 0.01}
    )
    w = b.const("w", np.arange(4 * 3 * 3 * 3, dtype=np.int8).reshape(4, 3, 3, 3), **wq)
    bias = b.const("bias", np.arange(4, dtype=np.int32), scale=0.0002)
    oh = -(-7 // stride) if padding == s.Padding.SAME else (7 - 3) // stride + 1
    ow = -(-6 // stride) if padding == s.Padding.SAME else (6 - 3) // stride + 1
    y = b.tensor("y", [1, oh, ow, 4], "int8", scale=0.1, zero_point=3)
    opts = options(
        "Conv2DOptionsT",
        padding=padding,
        strideH=stride,
        strideW=stride,
        dilationHFactor=1,
        dilationWFactor=1,
        fusedActivationFunction=act,
    )
    b.op("CONV_2D", [x, w, bias], [y], opts)
    return b.build([x], [y])


@pytest.mark.parametrize("per_channel", [False, True])
def test_conv_same_padding_and_quant(tmp_path: Path, per_channel: bool) -> None:
    data = _conv_model(s.Padding.SAME, 2, s.ActivationFunctionType.RELU6, per_channel)
    g = import_tflite(tmp_path / "conv.tflite", data)
    verify(g)
    (n,) = g.nodes
    assert n.op == "conv2d"
    # SAME, 7 rows, stride 2, k 3: out 4, total pad (4-1)*2+3-7 = 2 -> 1 before, 1 after;
    # 6 cols: out 3, total (3-1)*2+3-6 = 1 -> 0 before, 1 after.
    assert n.attrs.pads == (1, 1, 0, 1)
    assert n.attrs.stride == (2, 2) and n.attrs.act.value == "relu6"
    w = n.input(1)
    assert w.quant is not None and w.quant.per_axis == per_channel
    assert get_op("conv2d").macc(n) == 4 * 3 * 4 * 3 * 3 * 3
    g = run_pipeline(g)
    # relu6 on scale 0.1 zp 3: [max(-128, 3), min(127, 3 + 60)]
    assert (g.nodes[0].attrs.clamp.lo, g.nodes[0].attrs.clamp.hi) == (3.0, 63.0)


def test_every_unsupported_op_is_listed_at_once(tmp_path: Path) -> None:
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4], "float32")
    y = b.tensor("y_floor", [1, 4], "float32")
    z = b.tensor("z_abs", [1, 4], "float32")
    u = b.tensor("u", [1, 4], "float32")
    b.op("FLOOR", [x], [y])
    b.op("LOGISTIC", [y], [z])
    b.op("ABS", [z], [u])
    data = b.build([x], [u])
    with pytest.raises(UnsupportedError) as e:
        import_tflite(tmp_path / "m.tflite", data)
    msg = str(e.value)
    assert "2 operator(s)" in msg
    assert "#0 FLOOR 'y_floor'" in msg and "#2 ABS 'u'" in msg
    assert "LOGISTIC" not in msg


def test_unsupported_fused_activation_is_listed(tmp_path: Path) -> None:
    data = _conv_model(s.Padding.VALID, 1, s.ActivationFunctionType.SIGN_BIT, False)
    with pytest.raises(UnsupportedError, match="#0 CONV_2D 'y': fused activation"):
        import_tflite(tmp_path / "m.tflite", data)


def test_strided_slice_masks(tmp_path: Path) -> None:
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 10, 8], "float32")
    begin = b.const("begin", np.array([0, -3, 1], np.int32))
    end = b.const("end", np.array([1, 0, 7], np.int32))
    strides = b.const("strides", np.array([1, -1, 2], np.int32))
    y = b.tensor("y", [8, 3], "float32")
    # axis 0 shrinks; axis 1 starts at -3 (index 7) and runs backwards to the start (end_mask);
    # axis 2 takes 1,3,5.
    opts = options("StridedSliceOptionsT", beginMask=0, endMask=0b010, shrinkAxisMask=0b001)
    b.op("STRIDED_SLICE", [x, begin, end, strides], [y], opts)
    g = import_tflite(tmp_path / "ss.tflite", b.build([x], [y]))
    verify(g)
    a = g.nodes[0].attrs
    xs = np.arange(80).reshape(1, 10, 8)
    ref = xs[0, 7::-1, 1:7:2]
    got = xs[
        tuple(
            slice(bb, None if (ee < 0 and st < 0) else ee, st)
            for bb, ee, st in zip(a.begin, a.end, a.strides, strict=True)
        )
    ].reshape(ref.shape)
    np.testing.assert_array_equal(got, ref)


def test_not_a_tflite_file(tmp_path: Path) -> None:
    p = tmp_path / "x.tflite"
    p.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="not a TFLite flatbuffer"):
        load_model(p)


@pytest.mark.corpus
@pytest.mark.parametrize("rel", SUPPORTED)
def test_corpus_model_imports(rel: str) -> None:
    g = run_pipeline(import_tflite(corpus_model(rel)))
    assert g.nodes and g.inputs and g.outputs


@pytest.mark.corpus
@pytest.mark.parametrize("rel", sorted(UNSUPPORTED))
def test_corpus_unsupported_ops_listed(rel: str) -> None:
    with pytest.raises(UnsupportedError) as e:
        import_tflite(corpus_model(rel))
    for op in UNSUPPORTED[rel]:
        assert op in str(e.value)


@pytest.mark.corpus
def test_person_detect_bias_axis_is_a_warning() -> None:
    g = import_tflite(corpus_model("tflm/person_detect.tflite"))
    assert any("quantized_dimension" in w for w in g.warnings)


@pytest.mark.corpus
@pytest.mark.ref
@pytest.mark.parametrize("rel", [m for m in SUPPORTED if "person_detect" not in m])
def test_shapes_and_macc_agree_with_litert(rel: str) -> None:
    """LiteRT parses the same file independently: op types, output shapes and conv MACC."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    path = corpus_model(rel)
    it = Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
    )
    shapes = {d["index"]: tuple(int(v) for v in d["shape"]) for d in it.get_tensor_details()}
    ops = it._get_ops_details()
    g = import_tflite(path)
    assert len(g.nodes) == len(ops)
    for node, op in zip(g.nodes, ops, strict=True):
        if op["op_name"] in IR_OP:
            assert node.op == IR_OP[op["op_name"]], (rel, op)
        out = [shapes[i] for i in op["outputs"]]
        assert [t.shape for t in node.outputs] == out, (rel, op["op_name"])
        if op["op_name"] == "CONV_2D":
            _, ho, wo, co = out[0]
            _, kh, kw, cin_g = shapes[op["inputs"][1]]
            assert get_op("conv2d").macc(node) == ho * wo * co * kh * kw * cin_g
        if op["op_name"] == "DEPTHWISE_CONV_2D":
            _, kh, kw, co = shapes[op["inputs"][1]]
            assert get_op("depthwise_conv2d").macc(node) == math.prod(out[0][1:3]) * co * kh * kw


def test_corpus_listing_is_complete() -> None:
    """Every .tflite in the corpus is classified above (new models must be added)."""
    if not MODELS.exists():
        pytest.skip(f"corpus not found under {MODELS}")
    found = {str(p.relative_to(MODELS)) for p in MODELS.rglob("*.tflite")}
    assert found == set(SUPPORTED) | set(UNSUPPORTED)
