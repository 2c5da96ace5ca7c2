"""Small ONNX test models built with ``onnx.helper``, quantized with ONNX Runtime's quantizer.

Float builders return a ``ModelProto``; :func:`save` writes one; :func:`quantize_qdq`,
:func:`quantize_qoperator` and :func:`quantize_dyn` run ``onnxruntime.quantization`` on a saved
float model with a tiny seeded calibration set. :func:`ort_values` runs a model with every
intermediate value exposed as an output (graph optimizations off, so the values are those the
model states) to compare shapes with the IR.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def _w(rng: np.random.Generator, name: str, *shape: int, scale: float = 0.3) -> TensorProto:
    return numpy_helper.from_array((rng.normal(size=shape) * scale).astype(np.float32), name)


def _c(name: str, values: Any, dtype: Any = np.float32) -> TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def _model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    inits: list[TensorProto],
    opset: int = 13,
    name: str = "test",
) -> onnx.ModelProto:
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def _io(name: str, shape: list[int | str]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, F, shape)


def residual_cnn(seed: int = 0, batch_norm: bool = False) -> onnx.ModelProto:
    """conv3x3+relu -> depthwise3x3+relu6 -> pointwise -> residual add -> GAP -> FC -> softmax
    (a depthwise-separable block with a residual connection). NCHW input [1,3,16,16]."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
    ]
    inits = [_w(rng, "w1", 8, 3, 3, 3), _w(rng, "b1", 8, scale=0.1)]
    last = "c1"
    if batch_norm:
        nodes.append(
            helper.make_node("BatchNormalization", ["c1", "g", "be", "mu", "var"], ["bn"], "bn1")
        )
        inits += [
            _c("g", rng.uniform(0.5, 1.5, 8)),
            _c("be", rng.normal(size=8) * 0.1),
            _c("mu", rng.normal(size=8) * 0.1),
            _c("var", rng.uniform(0.5, 2.0, 8)),
        ]
        last = "bn"
    nodes += [
        helper.make_node("Relu", [last], ["r1"], "relu1"),
        helper.make_node(
            "Conv", ["r1", "w2", "b2"], ["c2"], "dw", pads=[1, 1, 1, 1], group=8, strides=[1, 1]
        ),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], "relu6"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], "pw"),
        helper.make_node("Add", ["c3", "r1"], ["a"], "add"),
        helper.make_node("GlobalAveragePool", ["a"], ["g0"], "gap"),
        helper.make_node("Flatten", ["g0"], ["f"], "flat"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y0"], "fc", transB=1),
        helper.make_node("Softmax", ["y0"], ["y"], "softmax", axis=-1),
    ]
    inits += [
        _w(rng, "w2", 8, 1, 3, 3),
        _w(rng, "b2", 8, scale=0.1),
        _c("lo", 0.0),
        _c("hi", 6.0),
        _w(rng, "w3", 8, 8, 1, 1),
        _w(rng, "b3", 8, scale=0.1),
        _w(rng, "wf", 10, 8),
        _w(rng, "bf", 10, scale=0.1),
    ]
    return _model(nodes, [_io("x", ["N", 3, 16, 16])], [_io("y", [1, 10])], inits)


def mlp(seed: int = 1) -> onnx.ModelProto:
    """MatMul+Add+Relu -> Gemm+Tanh -> MatMul -> Sigmoid on a [1,32] input."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m1"], "mm1"),
        helper.make_node("Add", ["m1", "b1"], ["a1"], "bias1"),
        helper.make_node("Relu", ["a1"], ["r1"], "relu1"),
        helper.make_node("Gemm", ["r1", "w2", "b2"], ["g2"], "fc2"),
        helper.make_node("Tanh", ["g2"], ["t2"], "tanh2"),
        helper.make_node("MatMul", ["t2", "w3"], ["m3"], "mm3"),
        helper.make_node("Sigmoid", ["m3"], ["y"], "sig"),
    ]
    inits = [
        _w(rng, "w1", 32, 24),
        _w(rng, "b1", 24, scale=0.1),
        _w(rng, "w2", 24, 16),
        _w(rng, "b2", 16, scale=0.1),
        _w(rng, "w3", 16, 4),
    ]
    return _model(nodes, [_io("x", [1, 32])], [_io("y", [1, 4])], inits)


def float_middle(seed: int = 2) -> onnx.ModelProto:
    """conv -> Erf (no integer pattern) -> conv: quantized, Erf runs in float between two QDQ
    islands."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Erf", ["c1"], ["e"], "erf"),
        helper.make_node("Conv", ["e", "w2", "b2"], ["c2"], "conv2"),
        helper.make_node("Relu", ["c2"], ["y"], "relu2"),
    ]
    inits = [
        _w(rng, "w1", 4, 2, 3, 3),
        _w(rng, "b1", 4, scale=0.1),
        _w(rng, "w2", 6, 4, 1, 1),
        _w(rng, "b2", 6, scale=0.1),
    ]
    return _model(nodes, [_io("x", [1, 2, 8, 8])], [_io("y", [1, 6, 8, 8])], inits)


def ops_zoo(seed: int = 3) -> onnx.ModelProto:
    """Many layout and element-wise ops in one NCHW graph (ORT's quantizer wraps most of
    them in QDQ): Pad, MaxPool, AveragePool (ceil mode, count_include_pad), ConvTranspose,
    Resize, Concat, Split, Slice, Transpose, Squeeze/Unsqueeze, ReduceMean, LeakyRelu, PRelu,
    HardSigmoid, HardSwish, Sub, Mul, a Reshape fed by a Shape subgraph."""
    rng = np.random.default_rng(seed)
    i64 = np.int64
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("LeakyRelu", ["c1"], ["l1"], "leaky", alpha=0.1),
        helper.make_node("Pad", ["l1", "pads"], ["p1"], "pad", mode="constant"),
        helper.make_node("MaxPool", ["p1"], ["mp"], "maxpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node(
            "AveragePool",
            ["l1"],
            ["ap"],
            "avgpool",
            kernel_shape=[3, 3],
            strides=[2, 2],
            pads=[1, 1, 1, 1],
            ceil_mode=1,
            count_include_pad=1,
        ),
        helper.make_node("Concat", ["mp", "ap"], ["cat"], "concat", axis=1),  # [1,16,9,9]
        helper.make_node("PRelu", ["cat", "slope"], ["pr"], "prelu"),
        helper.make_node(
            "ConvTranspose", ["pr", "wt", "bt"], ["ct"], "deconv", strides=[2, 2], pads=[1, 1, 1, 1]
        ),  # [1,4,17,17]
        helper.make_node("HardSigmoid", ["ct"], ["hs"], "hsig"),
        helper.make_node("Mul", ["ct", "hs"], ["sw"], "swishmul"),
        helper.make_node(
            "Resize",
            ["sw", "", "scales"],
            ["up"],
            "resize",
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),  # [1,4,34,34]
        helper.make_node("Split", ["up", "split"], ["s0", "s1"], "split", axis=1),
        helper.make_node("Sub", ["s0", "s1"], ["d"], "sub"),
        helper.make_node("HardSwish", ["d"], ["hw"], "hswish"),
        helper.make_node("Slice", ["hw", "st", "en", "ax", "sp"], ["sl"], "slice"),
        helper.make_node("Transpose", ["sl"], ["tr"], "transpose", perm=[0, 2, 3, 1]),
        helper.make_node("ReduceMean", ["tr"], ["rm"], "mean", axes=[1, 2], keepdims=0),
        helper.make_node("Unsqueeze", ["rm", "uax"], ["us"], "unsqueeze"),
        helper.make_node("Shape", ["us"], ["shp"], "shape"),
        helper.make_node("Gather", ["shp", "g0"], ["n"], "gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "uax0"], ["n1"], "unsq_n"),
        helper.make_node("Concat", ["n1", "minus1"], ["newshape"], "shape_cat", axis=0),
        helper.make_node("Reshape", ["us", "newshape"], ["rs"], "reshape"),
        helper.make_node("Squeeze", ["rs", "sq"], ["y"], "squeeze"),
    ]
    inits = [
        _w(rng, "w1", 8, 3, 3, 3),
        _w(rng, "b1", 8, scale=0.1),
        _c("pads", [0, 0, 1, 1, 0, 0, 1, 1], i64),
        _c("slope", rng.uniform(0.05, 0.3, (16, 1, 1))),
        _w(rng, "wt", 16, 4, 3, 3),
        _w(rng, "bt", 4, scale=0.1),
        _c("scales", [1.0, 1.0, 2.0, 2.0]),
        _c("split", [2, 2], i64),
        _c("st", [1, 2], i64),
        _c("en", [-1, 30], i64),
        _c("ax", [2, 3], i64),
        _c("sp", [1, 2], i64),
        _c("uax", [1], i64),
        _c("g0", 0, i64),
        _c("uax0", [0], i64),
        _c("minus1", [-1], i64),
        _c("sq", [0], i64),
    ]
    return _model(nodes, [_io("x", [1, 3, 16, 16])], [_io("y", [2])], inits, opset=14)


def layer_norm_block(seed: int = 4) -> onnx.ModelProto:
    """MatMul -> LayerNormalization -> Gelu-like (Erf) -> MatMul, opset 17 (float only)."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m1"], "mm1"),
        helper.make_node("LayerNormalization", ["m1", "gamma", "beta"], ["ln"], "ln", axis=-1),
        helper.make_node("Div", ["ln", "sqrt2"], ["dv"], "div"),
        helper.make_node("Erf", ["dv"], ["er"], "erf"),
        helper.make_node("Add", ["er", "one"], ["ad"], "add1"),
        helper.make_node("Mul", ["ln", "ad"], ["mu"], "mul"),
        helper.make_node("MatMul", ["mu", "w2"], ["y"], "mm2"),
    ]
    inits = [
        _w(rng, "w1", 16, 16),
        _c("gamma", rng.uniform(0.5, 1.5, 16)),
        _c("beta", rng.normal(size=16) * 0.1),
        _c("sqrt2", 1.4142135),
        _c("one", 1.0),
        _w(rng, "w2", 16, 8),
    ]
    return _model(nodes, [_io("x", [1, 4, 16])], [_io("y", [1, 4, 8])], inits, opset=17)


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


def _inputs(model_path: Path) -> dict[str, tuple[int, ...]]:
    m = onnx.load(str(model_path))
    inits = {t.name for t in m.graph.initializer}
    out = {}
    for vi in m.graph.input:
        if vi.name not in inits:
            dims = vi.type.tensor_type.shape.dim
            out[vi.name] = tuple(d.dim_value if d.dim_value > 0 else 1 for d in dims)
    return out


def random_inputs(model_path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=s).astype(np.float32) for k, s in _inputs(model_path).items()}


class _Calibration:
    def __init__(self, model_path: Path, n: int = 4, seed: int = 0) -> None:
        self._it = iter([random_inputs(model_path, seed + i) for i in range(n)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)


def _quiet() -> None:
    logging.getLogger().setLevel(logging.ERROR)


def quantize_qdq(
    float_path: Path,
    out: Path,
    per_channel: bool = True,
    activation: str = "int8",
    weight: str = "int8",
    reduce_range: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """ORT static quantization, QDQ format."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    _quiet()
    reader = type("R", (_Calibration, CalibrationDataReader), {})(float_path)
    quantize_static(
        str(float_path),
        str(out),
        reader,
        quant_format=QuantFormat.QDQ,
        per_channel=per_channel,
        reduce_range=reduce_range,
        activation_type=_qtype(activation),
        weight_type=_qtype(weight),
        extra_options=extra or {},
    )
    return out


def quantize_qoperator(
    float_path: Path,
    out: Path,
    per_channel: bool = False,
    activation: str = "uint8",
    weight: str = "uint8",
) -> Path:
    """ORT static quantization, QOperator format (QLinearConv, QLinearAdd, QGemm...)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    _quiet()
    reader = type("R", (_Calibration, CalibrationDataReader), {})(float_path)
    quantize_static(
        str(float_path),
        str(out),
        reader,
        quant_format=QuantFormat.QOperator,
        per_channel=per_channel,
        activation_type=_qtype(activation),
        weight_type=_qtype(weight),
    )
    return out


def quantize_dyn(float_path: Path, out: Path) -> Path:
    """ORT dynamic quantization (refused by mcuai)."""
    from onnxruntime.quantization import quantize_dynamic

    _quiet()
    quantize_dynamic(str(float_path), str(out))
    return out


def _qtype(name: str) -> Any:
    from onnxruntime.quantization import QuantType

    return {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}[name]


def ort_values(
    model_path: Path, feeds: dict[str, np.ndarray], elem_types: dict[str, int] | None = None
) -> dict[str, np.ndarray]:
    """Every node output of the model, computed by ONNX Runtime with optimizations off."""
    import onnxruntime as ort

    m = onnx.load(str(model_path))
    inferred = onnx.shape_inference.infer_shapes(m)
    types = {
        vi.name: vi.type.tensor_type.elem_type
        for vi in [*inferred.graph.value_info, *inferred.graph.output, *inferred.graph.input]
    }
    types.update(elem_types or {})
    known = {o.name for o in m.graph.output}
    for n in m.graph.node:
        for o in n.output:
            if o and o not in known and types.get(o):
                m.graph.output.append(helper.make_tensor_value_info(o, types[o], None))
                known.add(o)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds), strict=True))


def gelu_model() -> onnx.ModelProto:
    """Gelu (opset 20) between two MatMuls (float)."""
    rng = np.random.default_rng(5)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m1"], "mm1"),
        helper.make_node("Gelu", ["m1"], ["g"], "gelu", approximate="tanh"),
        helper.make_node("MatMul", ["g", "w2"], ["y"], "mm2"),
    ]
    inits = [_w(rng, "w1", 8, 8), _w(rng, "w2", 8, 4)]
    return _model(nodes, [_io("x", [2, 8])], [_io("y", [2, 4])], inits, opset=20)


def integer_ops() -> onnx.ModelProto:
    """Static QuantizeLinear -> ConvInteger -> Cast -> Mul -> Add -> Relu -> QuantizeLinear
    (an integer layer) -> Flatten (on uint8) -> MatMulInteger -> Cast -> Mul (float output)."""
    rng = np.random.default_rng(6)
    u8 = np.uint8
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], "qx"),
        helper.make_node("ConvInteger", ["xq", "w1", "xz", "w1z"], ["acc1"], "convint"),
        helper.make_node("Cast", ["acc1"], ["acc1f"], "cast1", to=F),
        helper.make_node("Mul", ["acc1f", "s1"], ["c1"], "scale1"),
        helper.make_node("Add", ["c1", "b1"], ["c1b"], "bias1"),
        helper.make_node("Relu", ["c1b"], ["r1"], "relu1"),
        helper.make_node("QuantizeLinear", ["r1", "fs", "fz"], ["rq"], "qr"),
        helper.make_node("Flatten", ["rq"], ["fq"], "flat"),
        helper.make_node("MatMulInteger", ["fq", "w2", "fz", "w2z"], ["acc2"], "mmint"),
        helper.make_node("Cast", ["acc2"], ["acc2f"], "cast2", to=F),
        helper.make_node("Mul", ["acc2f", "s2"], ["y"], "scale2"),
    ]
    inits = [
        _c("xs", 0.05),
        _c("xz", 3, u8),
        _c("w1", rng.integers(0, 256, (4, 2, 3, 3)), u8),
        _c("w1z", 128, u8),
        _c("s1", 0.05 * 0.01),
        _c("b1", rng.normal(size=(4, 1, 1)) * 0.1),
        _c("fs", 0.02),
        _c("fz", 0, u8),
        _c("w2", rng.integers(0, 256, (64, 5)), u8),
        _c("w2z", 127, u8),
        _c("s2", 0.02 * 0.01),
    ]
    return _model(nodes, [_io("x", [1, 2, 6, 6])], [_io("y", [1, 5])], inits)


def unsupported_ops() -> onnx.ModelProto:
    """Valid ops mcuai does not deploy: TopK, Round, a reflect Pad and a custom-domain op."""
    nodes = [
        helper.make_node("Round", ["x"], ["r"], "round_it"),
        helper.make_node("Pad", ["r", "pads"], ["p"], "reflect_pad", mode="reflect"),
        helper.make_node("TopK", ["p", "k"], ["v", "i"], "topk"),
        helper.make_node("MyOp", ["v"], ["y"], "custom", domain="my.domain"),
    ]
    inits = [_c("pads", [0, 1, 0, 1], np.int64), _c("k", [2], np.int64)]
    g = helper.make_graph(nodes, "bad", [_io("x", [2, 6])], [_io("y", [2, 2])], inits)
    m = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("my.domain", 1)]
    )
    m.ir_version = 8
    return m


def qdq_handmade() -> onnx.ModelProto:
    """Hand-written QDQ: DQ -> Conv -> Clip(0, 4) -> Q (a clamp no fused activation states),
    DQ -> MaxPool -> Q with other parameters (a requantization), a Q -> DQ pair that does not
    cancel (different parameters), a Transpose between Q/DQ pairs and an int8 model output."""
    rng = np.random.default_rng(7)
    i8 = np.int8
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s_in", "z_in"], ["xq"], "q_in"),
        helper.make_node("DequantizeLinear", ["xq", "s_in", "z_in"], ["xd"], "dq_in"),
        helper.make_node("DequantizeLinear", ["wq", "ws"], ["w"], "dq_w", axis=0),
        helper.make_node("Conv", ["xd", "w"], ["c"], "conv", pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c", "lo", "hi"], ["cc"], "clip04"),
        helper.make_node("QuantizeLinear", ["cc", "s_c", "z_c"], ["cq"], "q_c"),
        helper.make_node("DequantizeLinear", ["cq", "s_c", "z_c"], ["cd"], "dq_c"),
        helper.make_node("MaxPool", ["cd"], ["mp"], "pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("QuantizeLinear", ["mp", "s_p", "z_p"], ["mq"], "q_p"),
        helper.make_node("DequantizeLinear", ["mq", "s_p2", "z_p"], ["md"], "dq_p"),
        helper.make_node("Transpose", ["md"], ["t"], "to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("QuantizeLinear", ["t", "s_p2", "z_p"], ["y"], "q_out"),
    ]
    inits = [
        _c("s_in", 0.02),
        _c("z_in", 0, i8),
        _c("wq", rng.integers(-127, 128, (4, 3, 3, 3)), i8),
        _c("ws", rng.uniform(0.005, 0.02, 4)),
        _c("lo", 0.0),
        _c("hi", 4.0),
        _c("s_c", 0.03),
        _c("z_c", -128, i8),
        _c("s_p", 0.04),
        _c("z_p", -128, i8),
        _c("s_p2", 0.04),
    ]
    out = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4, 4, 4])
    return _model(nodes, [_io("x", [1, 3, 8, 8])], [out], inits)


def attention_like(seed: int = 8) -> onnx.ModelProto:
    """MatMul with a constant (-> FC), MatMul of two activations (-> batch_matmul), Softmax on
    the last axis, Transpose, ArgMax."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"], "proj"),
        helper.make_node("Transpose", ["q"], ["qt"], "qt", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "qt"], ["s"], "scores"),
        helper.make_node("Softmax", ["s"], ["p"], "attn", axis=-1),
        helper.make_node("MatMul", ["p", "q"], ["o"], "mix"),
        helper.make_node("ArgMax", ["o"], ["y"], "argmax", axis=-1, keepdims=0),
    ]
    out = helper.make_tensor_value_info("y", TensorProto.INT64, [1, 4])
    return _model(nodes, [_io("x", [1, 4, 8])], [out], [_w(rng, "wq", 8, 6)])


def conv_variants(seed: int = 9) -> onnx.ModelProto:
    """Window attributes: SAME_UPPER/SAME_LOWER, strides, dilations, groups, a depthwise
    multiplier, ConvTranspose with output_shape and output_padding, pools with ceil mode and
    auto_pad, GlobalMaxPool, bilinear Resize by sizes, channel Softmax, ReduceMean keepdims."""
    rng = np.random.default_rng(seed)
    i64 = np.int64
    nodes = [
        helper.make_node(
            "Conv", ["x", "w1"], ["a"], "same_upper", auto_pad="SAME_UPPER", strides=[2, 2]
        ),  # [1,4,8,8]
        helper.make_node(
            "Conv", ["a", "w2", "b2"], ["a2"], "same_lower", auto_pad="SAME_LOWER"
        ),  # [1,4,8,8]
        helper.make_node(
            "Conv", ["a2", "w2b"], ["b"], "dilated", dilations=[2, 2], pads=[2, 2, 2, 2]
        ),  # [1,4,8,8]
        helper.make_node("Conv", ["b", "w3"], ["c"], "grouped", group=2, pads=[0, 1, 0, 1]),
        helper.make_node("Conv", ["c", "w4"], ["d"], "dw_mult2", group=6, pads=[1, 1, 1, 1]),
        helper.make_node(
            "ConvTranspose",
            ["d", "w5"],
            ["e"],
            "deconv_shape",
            strides=[2, 2],
            output_shape=[15, 17],
        ),
        helper.make_node(
            "ConvTranspose",
            ["e", "w6", "b6"],
            ["f"],
            "deconv_outpad",
            strides=[2, 2],
            pads=[1, 1, 1, 1],
            output_padding=[1, 0],
        ),
        helper.make_node(
            "MaxPool",
            ["f"],
            ["g"],
            "pool_ceil",
            kernel_shape=[3, 3],
            strides=[2, 2],
            ceil_mode=1,
        ),
        helper.make_node(
            "AveragePool",
            ["g"],
            ["h"],
            "avg_same",
            kernel_shape=[3, 3],
            strides=[2, 2],
            auto_pad="SAME_UPPER",
        ),
        helper.make_node(
            "Resize",
            ["h", "", "", "sizes"],
            ["i"],
            "bilinear",
            mode="linear",
            coordinate_transformation_mode="half_pixel",
        ),
        helper.make_node("Softmax", ["i"], ["j"], "chan_softmax", axis=1),
        helper.make_node("ReduceMean", ["j"], ["k"], "mean_hw", axes=[2, 3], keepdims=1),
        helper.make_node("GlobalMaxPool", ["i"], ["l"], "gmp"),
        helper.make_node("Concat", ["k", "l"], ["y"], "cat", axis=1),
    ]
    inits = [
        _w(rng, "w1", 4, 3, 3, 3),
        _w(rng, "w2", 4, 4, 3, 3),
        _w(rng, "b2", 4, scale=0.1),
        _w(rng, "w2b", 4, 4, 3, 3),
        _w(rng, "w3", 6, 2, 1, 3),
        _w(rng, "w4", 12, 1, 3, 3),
        _w(rng, "w5", 12, 5, 3, 3),
        _w(rng, "w6", 5, 3, 2, 2),
        _w(rng, "b6", 3, scale=0.1),
        _c("sizes", [1, 3, 7, 9], i64),
    ]
    return _model(nodes, [_io("x", [1, 3, 15, 15])], [_io("y", [1, 6, 1, 1])], inits)


def legacy(opset: int, seed: int = 10) -> onnx.ModelProto:
    """Opset 10/11 forms: Clip/Pad/Squeeze/Unsqueeze/Split with attributes (or inputs from 11),
    Resize with (X, scales) in opset 10, Softmax over the flattened trailing axes (opset < 13)."""
    rng = np.random.default_rng(seed)
    i64 = np.int64
    inits = [_w(rng, "w", 4, 2, 3, 3), _c("sc", [1.0, 1.0, 2.0, 2.0])]
    if opset < 11:
        clip = helper.make_node("Clip", ["c"], ["r"], "relu6", min=0.0, max=6.0)
        pad = helper.make_node("Pad", ["r"], ["p"], "pad", pads=[0, 0, 1, 0, 0, 0, 0, 1])
        resize = helper.make_node("Resize", ["p", "sc"], ["u"], "up", mode="nearest")
    else:
        clip = helper.make_node("Clip", ["c", "lo", "hi"], ["r"], "relu6")
        pad = helper.make_node("Pad", ["r", "pads"], ["p"], "pad")
        resize = helper.make_node(
            "Resize",
            ["p", "roi", "sc"],
            ["u"],
            "up",
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        )
        inits += [
            _c("lo", 0.0),
            _c("hi", 6.0),
            _c("pads", [0, 0, 1, 0, 0, 0, 0, 1], i64),
            _c("roi", [], np.float32),
        ]
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], "conv", pads=[1, 1, 1, 1]),
        clip,
        pad,
        resize,  # [1,4,14,14]
        helper.make_node("Split", ["u"], ["s0", "s1"], "split", axis=1, split=[1, 3]),
        helper.make_node("Squeeze", ["s0"], ["q"], "squeeze", axes=[1]),  # [1,14,14]
        helper.make_node("Unsqueeze", ["q"], ["q4"], "unsqueeze", axes=[1]),
        helper.make_node("Concat", ["q4", "s1"], ["cat"], "cat", axis=1),
        helper.make_node("Softmax", ["cat"], ["y"], "softmax", axis=1),
    ]
    return _model(nodes, [_io("x", [1, 2, 6, 6])], [_io("y", [1, 4, 14, 14])], inits, opset=opset)


# ---- a numpy evaluator of the IR's real-valued semantics ----------------------------------
# Integer tensors hold ``real = scale * (q - zp)``: every op computes on real values (float64)
# and quantizes its result with round-half-to-even, as ONNX Runtime's QDQ reference path does.
# Used to check each IR node against ONNX Runtime's value of the same ONNX tensor.


def _axis_shape(q: Any, rank: int) -> tuple[Any, Any]:
    if q.per_axis:
        shape = [1] * rank
        shape[q.axis] = q.channels
        return q.scale.reshape(shape).astype(np.float64), q.zero_point.reshape(shape)
    return np.float64(q.scale), q.zero_point


def ir_real(t: Any, v: np.ndarray) -> np.ndarray:
    """Real values of IR tensor ``t`` holding ``v``."""
    if t.quant is not None and t.dtype.is_integer:
        s, z = _axis_shape(t.quant, v.ndim)
        return (v.astype(np.int64) - z) * s
    return np.asarray(v, np.float64)


def ir_store(t: Any, real: np.ndarray) -> np.ndarray:
    """``real`` stored in IR tensor ``t`` (quantized when ``t`` is)."""
    if t.quant is not None and t.dtype.is_integer:
        s, z = _axis_shape(t.quant, real.ndim)
        q = np.rint(real / s) + z
        return np.clip(q, t.dtype.qmin, t.dtype.qmax).astype(t.dtype.np)
    if t.dtype.is_integer:
        return np.asarray(real).astype(t.dtype.np)
    return np.asarray(real, np.float32)


def _windows(
    x: np.ndarray, kh: int, kw: int, s: tuple[int, int], d: tuple[int, int], ho: int, wo: int
):  # type: ignore[no-untyped-def]
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * d[0], kx * d[1]
            yield (
                ky,
                kx,
                x[:, y0 : y0 + (ho - 1) * s[0] + 1 : s[0], x0 : x0 + (wo - 1) * s[1] + 1 : s[1], :],
            )


def _pad_hw(x: np.ndarray, p: tuple[int, int, int, int], value: float) -> np.ndarray:
    return np.pad(x, ((0, 0), (p[0], p[1]), (p[2], p[3]), (0, 0)), constant_values=value)


def _act(a: Any, y: np.ndarray) -> np.ndarray:
    act = getattr(a, "act", None)
    if act is None:
        return y
    lo, hi = act.real_range()
    return np.clip(y, lo, hi)


def ir_eval_node(n: Any, ins: list[np.ndarray | None]) -> list[np.ndarray]:
    """Real outputs of IR node ``n`` from the real values of its inputs."""
    import math

    from mcuai.ops.resize_bilinear import bilinear_tables_f32
    from mcuai.ops.resize_nearest import nearest_index

    a = n.attrs
    op = n.op
    x = ins[0]
    assert x is not None
    out_shape = n.output.shape
    if op in ("conv2d", "depthwise_conv2d"):
        w = ins[1]
        assert w is not None
        xp = _pad_hw(x, a.pads, 0.0)
        _, ho, wo, cout = out_shape
        y = np.zeros(out_shape)
        kh, kw = w.shape[1], w.shape[2]
        for ky, kx, patch in _windows(xp, kh, kw, a.stride, a.dilation, ho, wo):
            if op == "depthwise_conv2d":
                y += np.repeat(patch, a.multiplier, axis=3) * w[0, ky, kx, :]
            else:
                cin_g = w.shape[3]
                groups = x.shape[3] // cin_g
                pg = patch.reshape(*patch.shape[:3], groups, cin_g)
                wg = w[:, ky, kx, :].reshape(groups, cout // groups, cin_g)
                y += np.einsum("nhwgc,goc->nhwgo", pg, wg).reshape(y.shape)
        if ins[2] is not None:
            y += ins[2]
        return [_act(a, y)]
    if op == "transpose_conv":
        w = ins[1]
        assert w is not None
        n_, h, wd, _ = x.shape
        cout, kh, kw, _ = w.shape
        big = np.zeros((n_, (h - 1) * a.stride[0] + kh, (wd - 1) * a.stride[1] + kw, cout))
        for ky in range(kh):
            for kx in range(kw):
                contrib = x @ w[:, ky, kx, :].T
                big[
                    :,
                    ky : ky + (h - 1) * a.stride[0] + 1 : a.stride[0],
                    kx : kx + (wd - 1) * a.stride[1] + 1 : a.stride[1],
                    :,
                ] += contrib
        y = big[:, a.pads[0] : a.pads[0] + a.out_hw[0], a.pads[2] : a.pads[2] + a.out_hw[1], :]
        if y.shape[1:3] != tuple(a.out_hw):  # output_padding beyond the full extent: zeros
            y = np.pad(
                y, ((0, 0), (0, a.out_hw[0] - y.shape[1]), (0, a.out_hw[1] - y.shape[2]), (0, 0))
            )
        if ins[2] is not None:
            y = y + ins[2]
        return [_act(a, y)]
    if op == "fully_connected":
        w = ins[1]
        assert w is not None
        y = x.reshape(-1, w.shape[1]) @ w.T
        if ins[2] is not None:
            y = y + ins[2]
        return [_act(a, y.reshape(out_shape))]
    if op == "batch_matmul":
        return [np.matmul(x, ins[1])]
    binary = {
        "add": np.add,
        "sub": np.subtract,
        "mul": np.multiply,
        "div": np.divide,
        "maximum": np.maximum,
        "minimum": np.minimum,
    }
    if op in binary:
        return [_act(a, binary[op](x, ins[1]))]
    if op == "prelu":
        return [np.where(x >= 0, x, x * ins[1])]
    erf = np.vectorize(math.erf)
    unary = {
        "relu": lambda v: np.clip(v, a.lo, a.hi),
        "leaky_relu": lambda v: np.where(v >= 0, v, a.alpha * v),
        "logistic": lambda v: 1 / (1 + np.exp(-v)),
        "tanh": np.tanh,
        "hard_swish": lambda v: v * np.clip(v + 3, 0, 6) / 6,
        "hard_sigmoid": lambda v: np.clip(a.alpha * v + a.beta, 0, 1),
        "erf": erf,
        "gelu": lambda v: (
            0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
            if a.approximate
            else 0.5 * v * (1 + erf(v / math.sqrt(2)))
        ),
        "dequantize": lambda v: v,
        "quantize": lambda v: v,
        "reshape": lambda v: v.reshape(out_shape),
    }
    if op in unary:
        return [unary[op](x)]
    if op == "softmax":
        e = np.exp(a.beta * (x - x.max(axis=-1, keepdims=True)))
        return [e / e.sum(axis=-1, keepdims=True)]
    if op == "mean":
        return [x.mean(axis=a.axes, keepdims=a.keep_dims)]
    if op in ("avg_pool2d", "max_pool2d"):
        xp = _pad_hw(x, a.pads, np.nan)
        _, ho, wo, _ = out_shape
        stack = np.stack([p for _, _, p in _windows(xp, *a.kernel, a.stride, (1, 1), ho, wo)])
        y = np.nanmean(stack, axis=0) if op == "avg_pool2d" else np.nanmax(stack, axis=0)
        return [_act(a, y)]
    if op == "pad":
        t = n.input(0)
        value = a.value
        if t.quant is not None and t.dtype.is_integer:
            value = (a.value - t.quant.scalar_zero_point()) * t.quant.scalar_scale()
        return [np.pad(x, a.pads, constant_values=value)]
    if op == "concat":
        return [_act(a, np.concatenate([v for v in ins if v is not None], axis=a.axis))]
    if op == "split":
        cuts = np.cumsum(a.sizes)[:-1]
        return list(np.split(x, cuts, axis=a.axis))
    if op == "strided_slice":
        sl = tuple(
            slice(b, e if e >= 0 else None, s)
            for b, e, s in zip(a.begin, a.end, a.strides, strict=True)
        )
        return [x[sl].reshape(out_shape)]
    if op == "transpose":
        return [np.transpose(x, a.perm)]
    if op == "resize_nearest":
        iy = nearest_index(x.shape[1], a.size[0], a.align_corners, a.half_pixel_centers)
        ix = nearest_index(x.shape[2], a.size[1], a.align_corners, a.half_pixel_centers)
        return [x[:, iy][:, :, ix]]
    if op == "resize_bilinear":
        y0, y1, wy0, wy1 = bilinear_tables_f32(
            x.shape[1], a.size[0], a.align_corners, a.half_pixel_centers
        )
        x0, x1, wx0, wx1 = bilinear_tables_f32(
            x.shape[2], a.size[1], a.align_corners, a.half_pixel_centers
        )
        rows = x[:, y0] * wy0[None, :, None, None] + x[:, y1] * wy1[None, :, None, None]
        return [
            rows[:, :, x0] * wx0[None, None, :, None] + rows[:, :, x1] * wx1[None, None, :, None]
        ]
    if op == "layer_norm":
        axes = tuple(range(a.axis, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mu) / np.sqrt(var + a.epsilon) * ins[1]
        return [y + ins[2] if ins[2] is not None else y]
    if op == "arg_max":
        return [np.argmax(x, axis=a.axis)]
    raise NotImplementedError(op)


def check_nodes_against_ort(
    graph: Any, values: dict[str, np.ndarray], float_tol: float = 1e-4, lsb: int = 1
) -> int:
    """Evaluate every IR node on ONNX Runtime's values of its inputs (where the IR tensor holds
    an ONNX value) and compare its output with ONNX Runtime's: float outputs within
    ``float_tol`` (relative to the value range), integer outputs within ``lsb``. Returns the
    number of outputs compared."""
    import json

    layouts = json.loads(graph.metadata["onnx_layouts"])

    def ort_value(t: Any) -> np.ndarray | None:
        e = layouts.get(t.name)
        if e is None or e["onnx"] not in values:
            return None
        v = values[e["onnx"]]
        v = np.transpose(v, e["perm"]) if v.ndim > 1 else v
        return ir_store(t, v) if e.get("quantized") else v

    stored: dict[int, np.ndarray] = {}
    for t in graph.inputs:
        v = ort_value(t)
        assert v is not None, t.name
        stored[t.uid] = v
    compared = 0
    for n in graph.nodes:
        ins: list[np.ndarray | None] = []
        for t in n.inputs:
            if t is None:
                ins.append(None)
                continue
            v = t.data if t.is_const else ort_value(t)
            v = stored[t.uid] if v is None else v
            ins.append(ir_real(t, v))
        reals = ir_eval_node(n, ins)
        for t, r in zip(n.outputs, reals, strict=True):
            got = ir_store(t, np.asarray(r).reshape(t.shape))
            stored[t.uid] = got
            ref = ort_value(t)
            if ref is None:
                continue
            assert ref.shape == got.shape, (n, t.name)
            if t.dtype.is_integer and t.quant is not None:
                diff = np.abs(got.astype(np.int64) - ref.astype(np.int64))
                assert diff.max(initial=0) <= lsb, (n, t.name, diff.max())
            elif t.dtype.is_integer:
                assert np.array_equal(got, ref), (n, t.name)
            else:
                scale = max(float(np.abs(ref).max(initial=0)), 1e-6)
                err = float(np.abs(got - ref).max(initial=0))
                assert err <= float_tol * scale, (n, t.name, err, scale)
            compared += 1
    return compared


def conv1d_net(seed: int = 11) -> onnx.ModelProto:
    """1-D (NCL) audio-style net: Conv1d -> BN -> Relu -> MaxPool1d -> depthwise Conv1d ->
    AveragePool1d -> GlobalAveragePool -> Flatten -> Gemm."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1d", pads=[2, 2], strides=[2]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "mu", "var"], ["bn"], "bn"),
        helper.make_node("Relu", ["bn"], ["r1"], "relu"),
        helper.make_node("MaxPool", ["r1"], ["m1"], "maxpool1d", kernel_shape=[2], strides=[2]),
        helper.make_node("Conv", ["m1", "w2"], ["c2"], "dw1d", group=8, pads=[1, 1]),
        helper.make_node(
            "AveragePool", ["c2"], ["a2"], "avgpool1d", kernel_shape=[3], strides=[1], pads=[1, 1]
        ),
        helper.make_node("GlobalAveragePool", ["a2"], ["g2"], "gap1d"),
        helper.make_node("Flatten", ["g2"], ["f"], "flat"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], "fc", transB=1),
    ]
    inits = [
        _w(rng, "w1", 8, 2, 5),
        _w(rng, "b1", 8, scale=0.1),
        _c("g", rng.uniform(0.5, 1.5, 8)),
        _c("be", rng.normal(size=8) * 0.1),
        _c("mu", rng.normal(size=8) * 0.1),
        _c("var", rng.uniform(0.5, 2.0, 8)),
        _w(rng, "w2", 8, 1, 3),
        _w(rng, "wf", 5, 8),
        _w(rng, "bf", 5, scale=0.1),
    ]
    return _model(nodes, [_io("x", [1, 2, 40])], [_io("y", [1, 5])], inits)


# --- tiny float models for the `mcuai quantize` -> `mcuai validate` acceptance matrix ---------
# (tests/test_onnx_quantized_models.py): each is quantized by ONNX Runtime's own quantizer and the
# generated C must match ONNX Runtime's integer path bit for bit. Shapes are tiny on purpose.


def tiny_residual_cnn(seed: int = 20) -> onnx.ModelProto:
    """conv3x3+relu -> conv3x3 -> Add(residual from the first relu) -> relu -> GAP -> Flatten ->
    Gemm. NCHW input [1,3,8,8], output [1,4]."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], "relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], "conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["a"], "residual_add"),
        helper.make_node("Relu", ["a"], ["r2"], "relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], "gap"),
        helper.make_node("Flatten", ["g"], ["f"], "flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], "fc", transB=1),
    ]
    inits = [
        _w(rng, "w1", 6, 3, 3, 3),
        _w(rng, "b1", 6, scale=0.1),
        _w(rng, "w2", 6, 6, 3, 3, scale=0.2),
        _w(rng, "b2", 6, scale=0.1),
        _w(rng, "wf", 4, 6),
        _w(rng, "bf", 4, scale=0.1),
    ]
    return _model(nodes, [_io("x", [1, 3, 8, 8])], [_io("y", [1, 4])], inits)


def tiny_dws_net(seed: int = 21) -> onnx.ModelProto:
    """Depthwise-separable blocks: pointwise conv+relu -> depthwise 3x3 (group = channels,
    stride 2) + Clip(0, 6) -> pointwise conv+relu -> depthwise 3x3 -> pointwise conv. NCHW input
    [1,4,8,8], output [1,6,4,4] (the last conv's NCHW output, so the layout is checked too)."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "pw1"),
        helper.make_node("Relu", ["c1"], ["r1"], "relu1"),
        helper.make_node(
            "Conv", ["r1", "w2", "b2"], ["c2"], "dw1", group=8, pads=[1, 1, 1, 1], strides=[2, 2]
        ),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], "relu6"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], "pw2"),
        helper.make_node("Relu", ["c3"], ["r3"], "relu3"),
        helper.make_node("Conv", ["r3", "w4", "b4"], ["c4"], "dw2", group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c4", "w5", "b5"], ["y"], "pw3"),
    ]
    inits = [
        _w(rng, "w1", 8, 4, 1, 1),
        _w(rng, "b1", 8, scale=0.1),
        _w(rng, "w2", 8, 1, 3, 3),
        _w(rng, "b2", 8, scale=0.1),
        _c("lo", 0.0),
        _c("hi", 6.0),
        _w(rng, "w3", 8, 8, 1, 1),
        _w(rng, "b3", 8, scale=0.1),
        _w(rng, "w4", 8, 1, 3, 3),
        _w(rng, "b4", 8, scale=0.1),
        _w(rng, "w5", 6, 8, 1, 1),
        _w(rng, "b5", 6, scale=0.1),
    ]
    return _model(nodes, [_io("x", [1, 4, 8, 8])], [_io("y", [1, 6, 4, 4])], inits)


def tiny_mlp(seed: int = 22) -> onnx.ModelProto:
    """Gemm(transB)+relu -> MatMul + Add(bias) + relu -> Gemm. Input [1,16], output [1,4]."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["g1"], "fc1", transB=1),
        helper.make_node("Relu", ["g1"], ["r1"], "relu1"),
        helper.make_node("MatMul", ["r1", "w2"], ["m2"], "matmul2"),
        helper.make_node("Add", ["m2", "b2"], ["a2"], "bias2"),
        helper.make_node("Relu", ["a2"], ["r2"], "relu2"),
        helper.make_node("Gemm", ["r2", "w3", "b3"], ["y"], "fc3"),
    ]
    inits = [
        _w(rng, "w1", 12, 16),
        _w(rng, "b1", 12, scale=0.1),
        _w(rng, "w2", 12, 8),
        _w(rng, "b2", 8, scale=0.1),
        _w(rng, "w3", 8, 4),
        _w(rng, "b3", 4, scale=0.1),
    ]
    return _model(nodes, [_io("x", [1, 16])], [_io("y", [1, 4])], inits)


def tiny_float_middle(seed: int = 23) -> onnx.ModelProto:
    """conv3x3 -> Erf (no integer kernel: runs in float between two quantized islands) ->
    conv1x1 + relu. NCHW input [1,2,6,6], output [1,4,6,6]."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Erf", ["c1"], ["e"], "erf"),
        helper.make_node("Conv", ["e", "w2", "b2"], ["c2"], "conv2"),
        helper.make_node("Relu", ["c2"], ["y"], "relu2"),
    ]
    inits = [
        _w(rng, "w1", 4, 2, 3, 3),
        _w(rng, "b1", 4, scale=0.1),
        _w(rng, "w2", 4, 4, 1, 1),
        _w(rng, "b2", 4, scale=0.1),
    ]
    return _model(nodes, [_io("x", [1, 2, 6, 6])], [_io("y", [1, 4, 6, 6])], inits)
