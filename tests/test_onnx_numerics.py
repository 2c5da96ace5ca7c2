"""ONNX Runtime's numerics in the generated C (``mcuai.lower.ort``, ``mcu_*_ort_*`` kernels).

Single-op ONNX models built with ``onnx.helper`` -- QDQ (``DequantizeLinear -> op ->
QuantizeLinear``) and QOperator (QLinearConv, QLinearMatMul, QLinearAdd, ...) -- are generated,
compiled and run on seeded random inputs; the reference is ONNX Runtime (CPU, default
optimizations) through ``mcuai validate``; integer results must be identical. The fusion rule
(which DQ -> op -> Q groups ORT leaves in float) is checked against the graph ORT itself
writes after optimization. The corpus test asserts bit-exactness on the MLPerf Tiny QDQ models.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import corpus_model
from mcuai.api import generate
from mcuai.lower.ort import ort_float_nodes
from mcuai.validate.run import ValidationReport, validate_model

pytestmark = [pytest.mark.ref, pytest.mark.cc]

RNG_SEED = 7


class G:
    """A tiny ONNX graph under construction (initializers named after their use)."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.rng = np.random.default_rng(RNG_SEED)

    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(self, op: str, ins: list[str], out: str, domain: str = "", **kw: object) -> str:
        self.nodes.append(helper.make_node(op, ins, [out], name=out, domain=domain, **kw))
        return out

    def q(self, x: str, out: str, s: float, z: int, dt: type = np.int8) -> str:
        ins = [x, self.const(out + "_s", np.float32(s)), self.const(out + "_z", dt(z))]
        return self.node("QuantizeLinear", ins, out)

    def dq(self, x: str, out: str, s: float, z: int, dt: type = np.int8) -> str:
        ins = [x, self.const(out + "_s", np.float32(s)), self.const(out + "_z", dt(z))]
        return self.node("DequantizeLinear", ins, out)

    def qdq(self, x: str, out: str, s: float, z: int) -> str:
        return self.dq(self.q(x, out + "_q", s, z), out, s, z)

    def weights(self, out: str, shape: tuple[int, ...], per_channel: bool) -> str:
        """Constant int8 weights through a DequantizeLinear (per channel along axis 0)."""
        w = self.rng.integers(-127, 128, shape).astype(np.int8)
        n = shape[0]
        s = (self.rng.uniform(0.002, 0.02, n) if per_channel else np.array(0.01)).astype(np.float32)
        z = np.zeros(n if per_channel else (), np.int8)
        ins = [self.const(out + "_wq", w), self.const(out + "_ws", s), self.const(out + "_wz", z)]
        return self.node("DequantizeLinear", ins, out, axis=0)

    def bias(self, out: str, n: int, s_x: float, w_scale_name: str) -> str:
        """int32 bias with scale s_x * s_w (as ONNX Runtime's quantizer writes it)."""
        ws = next(numpy_helper.to_array(i) for i in self.inits if i.name == w_scale_name)
        s = (np.float32(s_x) * ws.astype(np.float32)).astype(np.float32)
        b = self.rng.integers(-2000, 2000, n).astype(np.int32)
        zs = np.zeros(s.shape, np.int32)
        ins = [self.const(out + "_bq", b), self.const(out + "_bs", s), self.const(out + "_bz", zs)]
        return self.node("DequantizeLinear", ins, out, axis=0)

    def model(
        self,
        inputs: dict[str, list[int]],
        outputs: list[str],
        opset: int = 13,
        in_type: int = TensorProto.FLOAT,
    ) -> onnx.ModelProto:
        g = helper.make_graph(
            self.nodes,
            "g",
            [helper.make_tensor_value_info(k, in_type, v) for k, v in inputs.items()],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            self.inits,
        )
        ops = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
        m = helper.make_model(g, opset_imports=ops)
        m.ir_version = 8
        # declare the outputs with the types and shapes ONNX infers
        inferred = onnx.shape_inference.infer_shapes(m)
        del m.graph.output[:]
        m.graph.output.extend(inferred.graph.output)
        if any(not o.type.tensor_type.HasField("shape") for o in m.graph.output):
            # com.microsoft ops have no ONNX shape inference: ask ONNX Runtime
            sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
            feeds = {k: np.zeros(v, np.float32) for k, v in inputs.items()}
            for o, val in zip(m.graph.output, sess.run(outputs, feeds), strict=True):
                shape = o.type.tensor_type.shape
                shape.Clear()
                for d in val.shape:
                    shape.dim.add().dim_value = d
        return m


def _validate(
    tmp_path: Path, m: onnx.ModelProto, name: str, batches: int = 4, **kw: object
) -> ValidationReport:
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    return validate_model(path, batches=batches, seed=3, progress=False, **kw)  # type: ignore[arg-type]


def _assert_exact(rep: ValidationReport) -> None:
    assert rep.bit_exact is True, [
        (r.pair, r.metrics.bit_exact, r.metrics.max_lsb) for r in rep.rows
    ]


# --- QDQ single-op models ------------------------------------------------------------------


def conv_qdq(
    g: G, *, c_in: int = 3, c_out: int = 8, k: int = 3, stride: int = 1, pad: int = 1,
    group: int = 1, per_channel: bool = True, s_x: float = 0.03, z_x: int = 5,
    s_y: float = 0.05, z_y: int = -7,
) -> str:  # fmt: skip
    x = g.qdq("x", "xd", s_x, z_x)
    w = g.weights("w", (c_out, c_in // group, k, k), per_channel)
    b = g.bias("b", c_out, s_x, "w_ws")
    y = g.node("Conv", [x, w, b], "conv", pads=[pad] * 4, strides=[stride] * 2, group=group)
    return g.dq(g.q(y, "yq", s_y, z_y), "y", s_y, z_y)


QDQ_CASES: dict[str, Callable[[G], tuple[dict[str, list[int]], str]]] = {
    "conv3x3_per_channel": lambda g: ({"x": [1, 3, 9, 9]}, conv_qdq(g)),
    "conv_stride2_per_tensor": lambda g: (
        {"x": [1, 4, 10, 10]},
        conv_qdq(g, c_in=4, stride=2, pad=0, per_channel=False),
    ),
    "conv1x1": lambda g: ({"x": [1, 6, 5, 5]}, conv_qdq(g, c_in=6, k=1, pad=0)),
    "depthwise": lambda g: ({"x": [1, 6, 8, 8]}, conv_qdq(g, c_in=6, c_out=6, group=6)),
    "grouped": lambda g: ({"x": [1, 4, 6, 6]}, conv_qdq(g, c_in=4, c_out=6, group=2)),
}


@pytest.mark.parametrize("case", sorted(QDQ_CASES))
def test_qdq_conv_bit_exact(tmp_path: Path, require_cc: str, case: str) -> None:
    g = G()
    inputs, out = QDQ_CASES[case](g)
    _assert_exact(_validate(tmp_path, g.model(inputs, [out]), case))


@pytest.mark.parametrize("op", ["Gemm", "MatMul"])
def test_qdq_gemm_matmul_bit_exact(tmp_path: Path, require_cc: str, op: str) -> None:
    g = G()
    s_x = 0.04
    x = g.qdq("x", "xd", s_x, -3)
    if op == "Gemm":
        w = g.weights("w", (10, 24), per_channel=True)
        y = g.node("Gemm", [x, w, g.bias("b", 10, s_x, "w_ws")], "fc", transB=1)
    else:
        w = g.weights("w", (24, 10), per_channel=False)
        y = g.node("MatMul", [x, w], "fc")
    out = g.dq(g.q(y, "yq", 0.2, 4), "y", 0.2, 4)
    _assert_exact(_validate(tmp_path, g.model({"x": [1, 24]}, [out]), op))


def test_qdq_add_fused_and_float_bit_exact(tmp_path: Path, require_cc: str) -> None:
    """Two Adds: the first reads a DQ that is also a graph output (ORT keeps DQ -> Add -> Q in
    float), the second is an exclusive QDQ group (QLinearAdd)."""
    g = G()
    a = g.qdq("a", "ad", 0.021, 3)
    b = g.qdq("b", "bd", 0.017, -9)
    s1 = g.node("Add", [a, b], "add_float")
    s1d = g.qdq(s1, "s1d", 0.043, 2)
    c = g.qdq("c", "cd", 0.05, 0)
    s2 = g.node("Add", [s1d, c], "add_fused")
    out = g.dq(g.q(s2, "yq", 0.06, -1), "y", 0.06, -1)
    m = g.model({"a": [1, 4, 6, 6], "b": [1, 4, 6, 6], "c": [1, 4, 6, 6]}, [out, "ad"])
    assert ort_float_nodes(m) == {"add_float"}
    _assert_exact(_validate(tmp_path, m, "adds"))


@pytest.mark.parametrize(
    ("kernel", "pads", "strides"),
    [((3, 3), [1, 1, 1, 1], [2, 2]), ((2, 3), [0, 1, 0, 1], [1, 2]), ((7, 5), [0] * 4, [1, 1])],
)
def test_qdq_average_pool_bit_exact(
    tmp_path: Path, require_cc: str, kernel: tuple[int, int], pads: list[int], strides: list[int]
) -> None:
    """Windows with padding use ORT's float rule; a window over the whole image without padding
    uses its integer global rule."""
    g = G()
    x = g.qdq("x", "xd", 0.031, -20)
    y = g.node("AveragePool", [x], "pool", kernel_shape=list(kernel), pads=pads, strides=strides)
    out = g.dq(g.q(y, "yq", 0.0173, 11), "y", 0.0173, 11)
    _assert_exact(_validate(tmp_path, g.model({"x": [1, 5, 7, 5]}, [out]), "pool"))


def test_qdq_global_average_pool_bit_exact(tmp_path: Path, require_cc: str) -> None:
    g = G()
    x = g.qdq("x", "xd", 0.029, 7)
    y = g.node("GlobalAveragePool", [x], "gap")
    out = g.dq(g.q(y, "yq", 0.011, -5), "y", 0.011, -5)
    _assert_exact(_validate(tmp_path, g.model({"x": [1, 6, 9, 7]}, [out]), "gap"))


def test_quantize_linear_rounds_half_to_even(tmp_path: Path, require_cc: str) -> None:
    """Inputs exactly halfway between two steps (scale 0.25): ORT rounds to even, TFLite away
    from zero; the C model must agree with ORT on every tie."""
    g = G()
    out = g.dq(g.q("x", "xq", 0.25, 3), "y", 0.25, 3)
    m = g.model({"x": [1, 64]}, [out])
    x = ((np.arange(64, dtype=np.float32) - 32) * 0.125 + 0.0625 * 0).reshape(1, 64)
    vi = tmp_path / "ties.npz"
    np.savez(vi, x=np.stack([x, x * 2.0]).astype(np.float32))
    _assert_exact(_validate(tmp_path, m, "ties", vi=vi))


# --- QOperator single-op models --------------------------------------------------------------


def _qop_conv(g: G) -> tuple[dict[str, list[int]], str]:
    x = g.q("x", "xq", 0.03, 2)
    w = g.const("w", g.rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8))
    ws = g.const("ws", g.rng.uniform(0.002, 0.02, 5).astype(np.float32))
    b = g.const("b", g.rng.integers(-1000, 1000, 5).astype(np.int32))
    ins = [x, "xq_s", "xq_z", w, ws, g.const("wz", np.zeros(5, np.int8))]
    ins += [g.const("ys", np.float32(0.07)), g.const("yz", np.int8(-4)), b]
    y = g.node("QLinearConv", ins, "qconv", pads=[1, 1, 1, 1])
    return {"x": [1, 3, 7, 7]}, g.dq(y, "y", 0.07, -4)


def _qop_matmul(g: G) -> tuple[dict[str, list[int]], str]:
    x = g.q("x", "xq", 0.05, -1)
    w = g.const("w", g.rng.integers(-127, 128, (16, 6)).astype(np.int8))
    ins = [x, "xq_s", "xq_z", w, g.const("ws", np.float32(0.01)), g.const("wz", np.int8(0))]
    ins += [g.const("ys", np.float32(0.3)), g.const("yz", np.int8(6))]
    y = g.node("QLinearMatMul", ins, "qmm")
    return {"x": [2, 16]}, g.dq(y, "y", 0.3, 6)


def _qop_add(g: G) -> tuple[dict[str, list[int]], str]:
    a = g.q("a", "aq", 0.02, -5)
    b = g.q("b", "bq", 0.033, 9)
    ins = [a, "aq_s", "aq_z", b, "bq_s", "bq_z", g.const("ys", np.float32(0.04))]
    y = g.node("QLinearAdd", [*ins, g.const("yz", np.int8(1))], "qadd", domain="com.microsoft")
    return {"a": [1, 3, 5, 5], "b": [1, 3, 5, 5]}, g.dq(y, "y", 0.04, 1)


def _qop_avgpool(g: G) -> tuple[dict[str, list[int]], str]:
    x = g.q("x", "xq", 0.03, -10)
    ins = [x, "xq_s", "xq_z", g.const("ys", np.float32(0.02)), g.const("yz", np.int8(3))]
    y = g.node(
        "QLinearAveragePool",
        ins,
        "qpool",
        domain="com.microsoft",
        kernel_shape=[3, 3],
        pads=[1, 1, 1, 1],
        strides=[2, 2],
    )
    return {"x": [1, 4, 7, 7]}, g.dq(y, "y", 0.02, 3)


def _qop_gap(g: G) -> tuple[dict[str, list[int]], str]:
    x = g.q("x", "xq", 0.03, 4)
    ins = [x, "xq_s", "xq_z", g.const("ys", np.float32(0.013)), g.const("yz", np.int8(-2))]
    y = g.node("QLinearGlobalAveragePool", ins, "qgap", domain="com.microsoft", channels_last=0)
    return {"x": [1, 4, 6, 5]}, g.dq(y, "y", 0.013, -2)


QOP_CASES = {
    "QLinearConv": _qop_conv,
    "QLinearMatMul": _qop_matmul,
    "QLinearAdd": _qop_add,
    "QLinearAveragePool": _qop_avgpool,
    "QLinearGlobalAveragePool": _qop_gap,
}


@pytest.mark.parametrize("case", sorted(QOP_CASES))
def test_qoperator_bit_exact(tmp_path: Path, require_cc: str, case: str) -> None:
    g = G()
    inputs, out = QOP_CASES[case](g)
    _assert_exact(_validate(tmp_path, g.model(inputs, [out]), case))


# --- which groups ORT fuses -----------------------------------------------------------------


def _resblock(variant: str) -> onnx.ModelProto:
    g = G()
    a = g.qdq("x", "xd", 0.05, 0)

    def conv(x: str, name: str) -> str:
        w = g.weights(name + "_w", (4, 4, 3, 3), per_channel=True)
        return g.node("Conv", [x, w], name, pads=[1, 1, 1, 1])

    q1 = g.q(conv(a, "c1"), "c1q", 0.1, 0)
    d1 = g.dq(q1, "c1d", 0.1, 0)
    outs: list[str]
    if variant == "chain":
        outs = [g.qdq(conv(d1, "c2"), "y", 0.2, 0)]
    elif variant == "fanout":  # one DQ read by two convolutions
        outs = [g.qdq(conv(d1, "c2"), "y", 0.2, 0), g.qdq(conv(d1, "c3"), "y3", 0.2, 0)]
    elif variant == "twin_dq":  # two identical DQs (merged by ORT's CSE)
        d1b = g.dq(q1, "c1db", 0.1, 0)
        outs = [g.qdq(conv(d1, "c2"), "y", 0.2, 0), g.qdq(conv(d1b, "c3"), "y3", 0.2, 0)]
    elif variant == "dq_output":  # the DQ is also a graph output
        outs = [g.qdq(conv(d1, "c2"), "y", 0.2, 0), d1]
    elif variant == "residual":
        d2 = g.qdq(conv(d1, "c2"), "c2d", 0.2, 0)
        outs = [g.qdq(g.node("Add", [d1, d2], "add"), "y", 0.3, 0)]
    else:  # "erf": the consumer is a float op
        outs = [g.node("Erf", [d1], "erf")]
    return g.model({"x": [1, 4, 8, 8]}, outs)


@pytest.mark.parametrize("variant", ["chain", "fanout", "twin_dq", "dq_output", "residual", "erf"])
def test_fusion_rule_matches_onnxruntime(tmp_path: Path, variant: str) -> None:
    """ort_float_nodes names exactly the Conv/Add nodes ORT's optimized graph keeps as float
    ops (fused ones become QLinearConv / QLinearAdd with another name)."""
    m = _resblock(variant)
    src, opt = tmp_path / "m.onnx", tmp_path / "opt.onnx"
    onnx.save(m, src)
    so = ort.SessionOptions()
    so.optimized_model_filepath = str(opt)
    so.log_severity_level = 3
    ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
    kept = {n.name for n in onnx.load(opt).graph.node if n.op_type in ("Conv", "Add")}
    assert ort_float_nodes(m) == kept


# --- --requant fixed-point ------------------------------------------------------------------


def test_requant_fixed_point_uses_integer_kernels(tmp_path: Path, require_cc: str) -> None:
    g = G()
    m = g.model({"x": [1, 3, 9, 9]}, [conv_qdq(g)])
    path = tmp_path / "conv.onnx"
    onnx.save(m, path)
    floats = {f for f in generate(path).files if f.startswith("kernels/")}
    fixed = {f for f in generate(path, requant="fixed-point").files if f.startswith("kernels/")}
    assert "kernels/mcu_conv2d_ort_s8.c" in floats
    assert "kernels/mcu_conv2d_ort_s8.c" not in fixed
    assert "kernels/mcu_conv2d_s8.c" in fixed
    rep = validate_model(path, batches=4, seed=3, progress=False, requant="fixed-point")
    assert rep.bit_exact is not None  # compared and reported (equal or not)
    with pytest.raises(ValueError, match="requant"):
        generate(path, requant="double")


# --- corpus ---------------------------------------------------------------------------------

QDQ_CORPUS = [
    "mlperf_tiny_onnx_qdq/ad_deep_autoencoder_qdq.onnx",
    "mlperf_tiny_onnx_qdq/kws_dscnn_qdq.onnx",
    "mlperf_tiny_onnx_qdq/vww_mobilenet_v1_qdq.onnx",
    "mlperf_tiny_onnx_qdq/ic_resnet8_qdq.onnx",
]


@pytest.mark.parametrize("rel", QDQ_CORPUS)
def test_corpus_qdq_bit_exact(require_cc: str, rel: str) -> None:
    """Every layer of the MLPerf Tiny QDQ models, and every output (the float softmax after
    the last DequantizeLinear included), equals ONNX Runtime's on 10 random inputs."""
    path = corpus_model(rel)
    rep = validate_model(path, batches=10, seed=0, per_layer=True, progress=False)
    assert rep.bit_exact is not False
    outs = [r.metrics.bit_exact for r in rep.rows if r.pair == "C vs original"]
    assert outs and all(v == 1.0 for v in outs), outs
    assert rep.layers is not None
    inexact = [
        (la.origin, la.metrics.max_lsb)
        for la in rep.layers
        if la.metrics.bit_exact is not None and la.metrics.bit_exact != 1.0
    ]
    assert not inexact
    assert rep.first_divergence is None


# --- uint8 activations and weights (stored as int8 by passes/uint8_to_int8) -----------------


def test_uint8_qdq_bit_exact(tmp_path: Path, require_cc: str) -> None:
    """uint8 activations, uint8 weights with a zero point of 121 (the kernels' weight offset),
    then a QLinearAdd and a windowed average pool, where ORT's float arithmetic sees the uint8
    zero points."""
    g = G()
    u8 = np.uint8
    x = g.dq(g.q("x", "xq", 0.03, 130, u8), "xd", 0.03, 130, u8)
    w = g.rng.integers(0, 256, (6, 3, 3, 3)).astype(np.uint8)
    ins = [g.const("w_q", w), g.const("w_s", np.float32(0.004)), g.const("w_z", u8(121))]
    wd = g.node("DequantizeLinear", ins, "w")
    c = g.node("Conv", [x, wd], "conv", pads=[1, 1, 1, 1])
    cd = g.dq(g.q(c, "cq", 0.06, 118, u8), "cd", 0.06, 118, u8)
    y2 = g.dq(g.q("x2", "x2q", 0.05, 127, u8), "x2d", 0.05, 127, u8)
    s = g.node("Add", [cd, y2], "add")
    sd = g.dq(g.q(s, "sq", 0.07, 125, u8), "sd", 0.07, 125, u8)
    p = g.node("AveragePool", [sd], "pool", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    out = g.dq(g.q(p, "pq", 0.0231, 131, u8), "y", 0.0231, 131, u8)
    m = g.model({"x": [1, 3, 6, 6], "x2": [1, 6, 6, 6]}, [out])
    _assert_exact(_validate(tmp_path, m, "u8"))


@pytest.mark.parametrize("op", ["AveragePool", "Gemm"])
def test_requant_fixed_point_within_one_lsb(tmp_path: Path, require_cc: str, op: str) -> None:
    """Integer-only kernels for one layer whose input and output quantizations differ: at most
    1 LSB from ONNX Runtime (exact integer sums, one rounding of a Q31 multiplier instead of a
    float32 one)."""
    g = G()
    x = g.qdq("x", "xd", 0.031, -20)
    if op == "AveragePool":
        y = g.node("AveragePool", [x], "op", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        shape = [1, 5, 7, 5]
    else:
        w = g.weights("w", (10, 24), per_channel=True)
        y = g.node("Gemm", [x, w, g.bias("b", 10, 0.031, "w_ws")], "op", transB=1)
        shape = [3, 24]
    out = g.dq(g.q(y, "yq", 0.0173, 11), "y", 0.0173, 11)
    path = tmp_path / "m.onnx"
    onnx.save(g.model({"x": shape}, [out]), path)
    rep = validate_model(
        path, batches=4, seed=3, per_layer=True, progress=False, requant="fixed-point"
    )
    assert rep.layers is not None
    lsb = [la.metrics.max_lsb for la in rep.layers if la.op in ("avg_pool2d", "fully_connected")]
    assert lsb and all(v is not None and v <= 1 for v in lsb), lsb


# --- element-wise ops as 256-entry tables -----------------------------------------------------


def _all_codes(tmp_path: Path, shape: list[int], s: float, z: int) -> Path:
    """-vi whose values quantize to every int8 code (x = (q - z) * s)."""
    q = np.resize(np.arange(-128, 128), int(np.prod(shape)))
    vi = tmp_path / "codes.npz"
    np.savez(vi, x=((q - z) * np.float32(s)).astype(np.float32).reshape(1, *shape))
    return vi


@pytest.mark.parametrize(
    ("op", "attrs", "s_y", "z_y"),
    [
        ("Sigmoid", {}, 0.0035, -128),
        ("Tanh", {}, 0.0079, 2),
        ("LeakyRelu", {"alpha": 0.13}, 0.021, -40),
    ],
)
def test_qdq_unary_tables_bit_exact(
    tmp_path: Path, require_cc: str, op: str, attrs: dict[str, float], s_y: float, z_y: int
) -> None:
    """Every input code through ORT's QLinearSigmoid / QLinearLeakyRelu (fused) or float
    Tanh between DQ and Q: the generated table must give ORT's integers."""
    g = G()
    x = g.qdq("x", "xd", 0.043, -3)
    y = g.node(op, [x], "act", **attrs)
    out = g.dq(g.q(y, "yq", s_y, z_y), "y", s_y, z_y)
    m = g.model({"x": [1, 16, 16]}, [out])
    _assert_exact(_validate(tmp_path, m, op, vi=_all_codes(tmp_path, [16, 16], 0.043, -3)))


@pytest.mark.parametrize("op", ["QLinearSigmoid", "QLinearLeakyRelu"])
def test_qoperator_unary_tables_bit_exact(tmp_path: Path, require_cc: str, op: str) -> None:
    g = G()
    x = g.q("x", "xq", 0.05, 7)
    ins = [x, "xq_s", "xq_z", g.const("ys", np.float32(0.0041)), g.const("yz", np.int8(-100))]
    extra = {"alpha": 0.2} if op == "QLinearLeakyRelu" else {}
    y = g.node(op, ins, "act", domain="com.microsoft", **extra)
    m = g.model({"x": [1, 256]}, [g.dq(y, "y", 0.0041, -100)])
    _assert_exact(_validate(tmp_path, m, op, vi=_all_codes(tmp_path, [256], 0.05, 7)))


@pytest.mark.parametrize(
    ("dt", "z_x", "s_y", "z_y"),
    [(np.int8, -3, 1 / 256, -128), (np.int8, 5, 0.0041, -100), (np.uint8, 120, 1 / 255, 0)],
)
def test_qdq_softmax_bit_exact(
    tmp_path: Path, require_cc: str, dt: type, z_x: int, s_y: float, z_y: int
) -> None:
    """DQ -> Softmax -> Q becomes ORT's QLinearSoftmax (exp table, float sum, floor(1/s_y))."""
    g = G()
    x = g.dq(g.q("x", "xq", 0.09, z_x, dt), "xd", 0.09, z_x, dt)
    y = g.node("Softmax", [x], "softmax", axis=-1)
    out = g.dq(g.q(y, "yq", s_y, z_y, dt), "y", s_y, z_y, dt)
    m = g.model({"x": [6, 11]}, [out])
    _assert_exact(_validate(tmp_path, m, "softmax"))


def test_qoperator_softmax_bit_exact(tmp_path: Path, require_cc: str) -> None:
    g = G()
    x = g.q("x", "xq", 0.07, 2)
    ins = [x, "xq_s", "xq_z", g.const("ys", np.float32(1 / 256)), g.const("yz", np.int8(-128))]
    y = g.node("QLinearSoftmax", ins, "qsm", domain="com.microsoft", opset=13, axis=-1)
    m = g.model({"x": [4, 10]}, [g.dq(y, "y", 1 / 256, -128)])
    _assert_exact(_validate(tmp_path, m, "qsoftmax"))


def test_qdq_mul_bit_exact(tmp_path: Path, require_cc: str) -> None:
    """QLinearMul (fused; MLAS: float multiply then add of the output zero point) and a
    float Mul ORT leaves unfused (its DQ is a graph output too)."""
    g = G()
    a = g.qdq("a", "ad", 0.021, 3)
    b = g.qdq("b", "bd", 0.037, -9)
    m1 = g.qdq(g.node("Mul", [a, b], "mul_float"), "m1", 0.02, 4)
    c = g.qdq("c", "cd", 0.05, -2)
    out = g.dq(g.q(g.node("Mul", [m1, c], "mul_fused"), "yq", 0.011, -6), "y", 0.011, -6)
    shape = [1, 4, 5, 5]
    m = g.model({"a": shape, "b": shape, "c": shape}, [out, "ad"])
    assert ort_float_nodes(m) == {"mul_float"}
    _assert_exact(_validate(tmp_path, m, "mul"))


@pytest.mark.parametrize("qop", [False, True])
def test_concat_requantized_bit_exact(tmp_path: Path, require_cc: str, qop: bool) -> None:
    """Concat of inputs quantized unlike the output (QLinearConcat): per-input tables."""
    g = G()
    if qop:
        a, b = g.q("a", "aq", 0.021, 3), g.q("b", "bq", 0.037, -9)
        ins = [g.const("ys", np.float32(0.03)), g.const("yz", np.int8(1))]
        ins += [a, "aq_s", "aq_z", b, "bq_s", "bq_z"]
        y = g.node("QLinearConcat", ins, "cat", domain="com.microsoft", axis=1)
        out = g.dq(y, "y", 0.03, 1)
    else:
        a, b = g.qdq("a", "ad", 0.021, 3), g.qdq("b", "bd", 0.037, -9)
        c = g.node("Concat", [a, b], "cat", axis=1)
        out = g.dq(g.q(c, "yq", 0.03, 1), "y", 0.03, 1)
    m = g.model({"a": [1, 4, 5, 5], "b": [1, 3, 5, 5]}, [out])
    _assert_exact(_validate(tmp_path, m, "cat"))


def test_qdq_sub_bit_exact(tmp_path: Path, require_cc: str) -> None:
    """ORT has no QLinearSub: DQ -> Sub -> Q runs in float, which the kernels reproduce."""
    g = G()
    a, b = g.qdq("a", "ad", 0.021, 3), g.qdq("b", "bd", 0.037, -9)
    out = g.dq(g.q(g.node("Sub", [a, b], "sub"), "yq", 0.043, 2), "y", 0.043, 2)
    m = g.model({"a": [1, 4, 5, 5], "b": [1, 4, 5, 5]}, [out])
    _assert_exact(_validate(tmp_path, m, "sub"))


@pytest.mark.parametrize(
    ("op", "attrs"), [("HardSigmoid", {"alpha": 0.17, "beta": 0.45}), ("HardSwish", {})]
)
def test_qdq_hard_activations_bit_exact(
    tmp_path: Path, require_cc: str, op: str, attrs: dict[str, float]
) -> None:
    g = G()
    x = g.qdq("x", "xd", 0.043, -3)
    y = g.node(op, [x], "act", **attrs)
    out = g.dq(g.q(y, "yq", 0.0219, -60), "y", 0.0219, -60)
    m = g.model({"x": [1, 16, 16]}, [out], opset=14)
    _assert_exact(_validate(tmp_path, m, op, vi=_all_codes(tmp_path, [16, 16], 0.043, -3)))


@pytest.mark.parametrize(
    ("size", "stride", "c_in"), [(16, 1, 32), (16, 2, 32), (12, 1, 64), (9, 1, 8)]
)
def test_unfused_float_conv_bit_exact(
    tmp_path: Path, require_cc: str, size: int, stride: int, c_in: int
) -> None:
    """A Conv whose input DQ is also a graph output: ORT runs DQ, its float Conv (im2col +
    SGEMM, reduction blocks that depend on the output size) and Q; so must the C code. The
    output scale keeps most values unsaturated and 40 samples give ~10^5 outputs, so that a
    wrong summation order (last-bit float differences) shows as a 1 LSB flip."""
    g = G()
    x = g.qdq("x", "xd", 0.031, -7)
    w = g.weights("w", (24, c_in, 3, 3), per_channel=True)
    b = g.bias("b", 24, 0.031, "w_ws")
    y = g.node("Conv", [x, w, b], "conv", pads=[1, 1, 1, 1], strides=[stride, stride])
    out = g.dq(g.q(y, "yq", 0.4, 3), "y", 0.4, 3)
    m = g.model({"x": [1, c_in, size, size]}, [out, "xd"])
    assert ort_float_nodes(m) == {"conv"}
    _assert_exact(_validate(tmp_path, m, "fconv", batches=40))


@pytest.mark.parametrize(("size", "stride"), [(16, 2), (16, 1)])
def test_unfused_float_conv_summation_order(
    tmp_path: Path, require_cc: str, size: int, stride: int
) -> None:
    """Sensitive to the float summation order: positive weights on the first half of the input
    channels and negative ones on the second, positive inputs, so partial sums are ~30x the
    result and a fine output scale turns their last-bit differences into LSB flips (the
    reduction blocks of 128 or 256 depend on the output size, see sgemm_stride_k)."""
    g = G()
    c_in, c_out = 32, 16
    x = g.qdq("x", "xd", 0.031, -128)
    mag = g.rng.integers(40, 127, (c_out, 1, 3, 3))
    sign = np.where(np.arange(c_in) < c_in // 2, 1, -1).reshape(1, c_in, 1, 1)
    wq = (mag * sign).astype(np.int8)
    ws = np.full(c_out, 0.01, np.float32)
    ins = [g.const("w_wq", wq), g.const("w_ws", ws), g.const("w_wz", np.zeros(c_out, np.int8))]
    w = g.node("DequantizeLinear", ins, "w", axis=0)
    y = g.node("Conv", [x, w], "conv", pads=[1, 1, 1, 1], strides=[stride, stride])
    out = g.dq(g.q(y, "yq", 0.02, 0), "y", 0.02, 0)
    m = g.model({"x": [1, c_in, size, size]}, [out, "xd"])
    assert ort_float_nodes(m) == {"conv"}
    vi = tmp_path / "pos.npz"
    q = g.rng.integers(-40, 128, (8, 1, c_in, size, size))
    np.savez(vi, x=((q + 128) * np.float32(0.031)).astype(np.float32))
    _assert_exact(_validate(tmp_path, m, "fconv_order", batches=8, vi=vi))


@pytest.mark.parametrize("depth", [2, 10, 24, 100])
def test_float_softmax_bit_exact(tmp_path: Path, require_cc: str, depth: int) -> None:
    """ORT's float Softmax (MLAS: FMA exp approximation, two 8-lane accumulators, reciprocal),
    e.g. after a model's last DequantizeLinear: every float output identical."""
    g = G()
    y = g.node("Softmax", ["x"], "softmax", axis=-1)
    m = g.model({"x": [5, depth]}, [y])
    vi = tmp_path / "x.npz"
    np.savez(vi, x=(g.rng.normal(size=(6, 5, depth)) * 4).astype(np.float32))
    rep = _validate(tmp_path, m, "fsoftmax", vi=vi, batches=6)
    vals = [r.metrics.bit_exact for r in rep.rows if r.pair == "C vs original"]
    assert vals == [1.0], vals


@pytest.mark.parametrize(("a_shape", "b_shape"), [([3, 4, 6], [3, 6, 5]), ([2, 4, 6], [6, 5])])
def test_qdq_batch_matmul_bit_exact(
    tmp_path: Path, require_cc: str, a_shape: list[int], b_shape: list[int]
) -> None:
    """MatMul of two quantized activations (QLinearMatMul), batched and broadcast."""
    g = G()
    a = g.qdq("a", "ad", 0.05, 3)
    b = g.qdq("b", "bd", 0.04, -6)
    y = g.node("MatMul", [a, b], "mm")
    out = g.dq(g.q(y, "yq", 0.09, 2), "y", 0.09, 2)
    _assert_exact(_validate(tmp_path, g.model({"a": a_shape, "b": b_shape}, [out]), "bmm"))


def test_float_erf_bit_exact(tmp_path: Path, require_cc: str) -> None:
    """ORT's float Erf (MLAS: two polynomial ranges, an FMA exp): every output identical,
    over both ranges, the clamp region and signed zeros."""
    g = G()
    y = g.node("Erf", ["x"], "erf")
    m = g.model({"x": [1, 4096]}, [y])
    x = np.concatenate([np.linspace(-6, 6, 4092), np.array([0.0, -0.0, 1e30, -1e30])]).astype(
        np.float32
    )
    vi = tmp_path / "x.npz"
    np.savez(vi, x=np.stack([x.reshape(1, -1), -x.reshape(1, -1)]))
    rep = _validate(tmp_path, m, "erf", vi=vi, batches=2)
    vals = [r.metrics.bit_exact for r in rep.rows if r.pair == "C vs original"]
    assert vals == [1.0], vals


@pytest.mark.parametrize("op", ["Sigmoid", "Tanh"])
def test_float_sigmoid_tanh_bit_exact(tmp_path: Path, require_cc: str, op: str) -> None:
    """ORT's float Sigmoid / Tanh (MLAS's rational approximations with FMA)."""
    g = G()
    y = g.node(op, ["x"], "act")
    m = g.model({"x": [1, 4096]}, [y])
    x = np.linspace(-20, 20, 4096).astype(np.float32)
    vi = tmp_path / "x.npz"
    np.savez(vi, x=np.stack([x.reshape(1, -1), (x * 0.37).reshape(1, -1)]))
    rep = _validate(tmp_path, m, op, vi=vi, batches=2)
    vals = [r.metrics.bit_exact for r in rep.rows if r.pair == "C vs original"]
    assert vals == [1.0], vals


@pytest.mark.slow
@pytest.mark.parametrize("rel", ["mlperf_tiny_onnx_qdq/ic_resnet8_qdq.onnx"])
def test_ort_kernels_under_asan_ubsan(tmp_path: Path, require_cc: str, rel: str) -> None:
    """The ORT-rule kernels (float and int conv, QLinearAdd, pooling, QGemm, float softmax)
    run clean under AddressSanitizer and UndefinedBehaviorSanitizer and give the unsanitized
    build's outputs."""
    import subprocess

    from mcuai.api import load_model
    from mcuai.targets.harness import host_harness
    from mcuai.targets.host import HostModel, build
    from mcuai.validate.data import random_inputs

    path = corpus_model(rel)
    code = generate(path)
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    graph = load_model(path)
    xs = random_inputs(graph.inputs, 1, seed=3)
    args, sample = [str(exe)], []
    for i, (x, t) in enumerate(zip(xs, graph.inputs, strict=True)):
        arr = np.ascontiguousarray(x[0].reshape(t.shape), dtype=t.dtype.np)
        sample.append(arr)
        (tmp_path / f"in{i}").write_bytes(arr.tobytes())
        args.append(str(tmp_path / f"in{i}"))
    args += [str(tmp_path / f"out{j}") for j in range(len(graph.outputs))]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run(sample)
    for j, t in enumerate(graph.outputs):
        got = np.frombuffer((tmp_path / f"out{j}").read_bytes(), t.dtype.np)
        np.testing.assert_array_equal(got, ref[j].reshape(-1))
