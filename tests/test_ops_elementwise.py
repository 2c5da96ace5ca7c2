"""ADD, SUB, MUL, MAXIMUM, MINIMUM (int8, int16) against LiteRT BUILTIN_REF: broadcasting
(same shape, channel-wise, SE-block [N,H,W,C] x [N,1,1,C], scalar and constant operands, rank
mismatch, rank 5), every fused activation, distinct input scales, rounding ties, saturation,
MUL multipliers above one and the float32 multiplier rule, plus the real int16 ADD of the
seanet model with its golden output and single ops cut out of corpus models."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from conftest import corpus_model
from helpers.opcheck import check_against_litert, litert_reference, litert_run
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.errors import UnsupportedError
from mcuai.lower.elementwise import broadcast_walk
from mcuai.ops._common import broadcast_shapes
from mcuai.quant.fixed_point import multiply_by_quantized_multiplier, quantize_multiplier

pytestmark = [pytest.mark.cc, pytest.mark.ref]
ACT = s.ActivationFunctionType
ACTS = [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1]
PAD_SAME, PAD_VALID = s.Padding.SAME, s.Padding.VALID
Q = tuple[float, int]


def binary_model(
    op: str,
    a_shape: tuple[int, ...],
    b_shape: tuple[int, ...],
    dtype: str = "int8",
    qa: Q = (0.05, 3),
    qb: Q = (0.03, -7),
    qo: Q = (0.06, 1),
    act: int = ACT.NONE,
    b_const: np.ndarray | None = None,
    pot_scale_int16: bool = False,
) -> bytes:
    """A one-op model ``o = op(a, b)``; ``b`` is a constant when ``b_const`` is given."""
    b = TFLiteBuilder()
    ta = b.tensor("a", list(a_shape), dtype, scale=qa[0], zero_point=qa[1])
    if b_const is not None:
        tb = b.const("b", b_const, scale=qb[0], zero_point=qb[1])
    else:
        tb = b.tensor("b", list(b_shape), dtype, scale=qb[0], zero_point=qb[1])
    out_shape = broadcast_shapes(tuple(a_shape), tuple(b_shape))
    to = b.tensor("o", list(out_shape), dtype, scale=qo[0], zero_point=qo[1])
    opts: Any = None
    if op in ("ADD", "SUB"):
        opts = options(
            f"{op.capitalize()}OptionsT",
            fusedActivationFunction=act,
            potScaleInt16=pot_scale_int16,
        )
    elif op == "MUL":
        opts = options("MulOptionsT", fusedActivationFunction=act)
    b.op(op, [ta, tb], [to], opts, version=2 if dtype == "int8" else 4)
    return b.build([ta] if b_const is not None else [ta, tb], [to])


SHAPES = [
    ((1, 5, 4, 8), (1, 5, 4, 8)),  # same shape
    ((1, 5, 4, 8), (8,)),  # channel vector, rank mismatch
    ((2, 5, 4, 8), (2, 1, 1, 8)),  # SE block: activations x per-channel
    ((1, 1, 1, 8), (1, 5, 4, 8)),  # broadcast on the left operand
    ((2, 3, 1, 6), (1, 1, 4, 1)),  # both operands broadcast
    ((3, 7), ()),  # scalar
]


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize(("a_shape", "b_shape"), SHAPES)
def test_arith_broadcasting(
    tmp_path: Path, require_cc: str, op: str, a_shape: tuple[int, ...], b_shape: tuple[int, ...]
) -> None:
    check_against_litert(binary_model(op, a_shape, b_shape), tmp_path, n=3)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("act", ACTS)
def test_arith_activations(tmp_path: Path, require_cc: str, op: str, act: int) -> None:
    # output scale chosen so that RELU6 and RELU_N1_TO_1 clamp inside the int8 range
    m = binary_model(
        op, (1, 6, 5, 7), (1, 1, 5, 7), qa=(0.04, -20), qb=(0.03, 9), qo=(0.035, -4), act=act
    )
    check_against_litert(m, tmp_path, n=3)


@pytest.mark.parametrize("op", ["ADD", "SUB"])
@pytest.mark.parametrize(("qa", "qb"), [((0.02, 0), (0.11, -128)), ((0.5, 127), (0.0004, 5))])
def test_add_sub_scale_ratios(tmp_path: Path, require_cc: str, op: str, qa: Q, qb: Q) -> None:
    check_against_litert(binary_model(op, (2, 4, 4, 6), (2, 4, 4, 6), qa=qa, qb=qb), tmp_path)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_arith_rounding_ties(tmp_path: Path, require_cc: str, op: str) -> None:
    # equal input scales and an output scale of twice (ADD/SUB) or s^2 * 2 (MUL) make every
    # odd result an exact tie; all input pairs are enumerated, both signs included
    vals = np.arange(-128, 128, dtype=np.int8)
    a, b = (x.reshape(1, 256, 256, 1) for x in np.meshgrid(vals, vals, indexing="ij"))
    qo = (0.1, 0) if op != "MUL" else (0.0025 * 2, 0)
    m = binary_model(op, a.shape, b.shape, qa=(0.05, 0), qb=(0.05, 0), qo=qo)
    check_against_litert(m, tmp_path, inputs=[[a, b]])


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_arith_saturation(tmp_path: Path, require_cc: str, op: str) -> None:
    m = binary_model(op, (1, 8, 8, 4), (1, 8, 8, 4), qa=(0.2, 10), qb=(0.3, -10), qo=(0.01, 100))
    check_against_litert(m, tmp_path)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"])
@pytest.mark.parametrize("b_shape", [(1,), (4, 1, 6)])
def test_constant_operand(
    tmp_path: Path, require_cc: str, op: str, b_shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(5)
    data = rng.integers(-128, 128, b_shape).astype(np.int8)
    m = binary_model(op, (2, 4, 5, 6), b_shape, b_const=data)
    check_against_litert(m, tmp_path, n=3)


def test_mul_multiplier_above_one(tmp_path: Path, require_cc: str) -> None:
    # s1 * s2 / so = 12.5: the requantization shifts left
    m = binary_model("MUL", (1, 6, 6, 5), (1, 1, 1, 5), qa=(0.5, 3), qb=(0.25, -2), qo=(0.01, 0))
    check_against_litert(m, tmp_path)


_ALL_PAIRS = np.stack(
    np.meshgrid(np.arange(-128, 128), np.arange(-128, 128), indexing="ij")
).reshape(2, 1, 256, 256, 1)


def _float32_sensitive_scales() -> tuple[float, float, float]:
    """Scales for which QuantizeMultiplier(s1 * s2 / so) differs between a float32 and a double
    evaluation (TFLite uses float32) by enough to change some int8 x int8 product's result;
    found by a seeded search."""
    rng = np.random.default_rng(1)
    prod = (_ALL_PAIRS[0] * _ALL_PAIRS[1]).reshape(-1)
    for _ in range(100_000):
        s1, s2 = (float(np.float32(v)) for v in rng.uniform(0.001, 0.1, 2))
        so = float(np.float32(s1 * s2 * rng.uniform(100, 300)))
        f32 = float(np.float32(np.float32(np.float32(s1) * np.float32(s2)) / np.float32(so)))
        (mf, sf), (md, sd) = quantize_multiplier(f32), quantize_multiplier(s1 * s2 / so)
        if (mf, sf) == (md, sd):
            continue
        rf = multiply_by_quantized_multiplier(prod, mf, sf)
        rd = multiply_by_quantized_multiplier(prod, md, sd)
        if np.any(np.clip(rf, -128, 127) != np.clip(rd, -128, 127)):
            return s1, s2, so
    raise AssertionError("no float32-sensitive scales found")


def test_mul_float32_multiplier_rule(tmp_path: Path, require_cc: str) -> None:
    s1, s2, so = _float32_sensitive_scales()
    a, b = (x.astype(np.int8) for x in _ALL_PAIRS)
    m = binary_model("MUL", a.shape, b.shape, qa=(s1, 0), qb=(s2, 0), qo=(so, 0))
    check_against_litert(m, tmp_path, inputs=[[a, b]])


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize(("a_shape", "b_shape"), [SHAPES[0], SHAPES[2], SHAPES[4]])
def test_max_min(
    tmp_path: Path,
    require_cc: str,
    op: str,
    dtype: str,
    a_shape: tuple[int, ...],
    b_shape: tuple[int, ...],
) -> None:
    q = (0.05, 0)
    m = binary_model(op, a_shape, b_shape, dtype=dtype, qa=q, qb=q, qo=q)
    check_against_litert(m, tmp_path, n=2)


# ---- int16 -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
# (a 0-d int16 model input trips targets/host.py, so the scalar case uses shape [1])
@pytest.mark.parametrize(
    ("a_shape", "b_shape", "act"),
    [(*SHAPES[0], ACT.NONE), (*SHAPES[2], ACT.RELU6), ((3, 7), (1,), ACT.RELU_N1_TO_1)],
)
def test_int16_arith(
    tmp_path: Path,
    require_cc: str,
    op: str,
    a_shape: tuple[int, ...],
    b_shape: tuple[int, ...],
    act: int,
) -> None:
    m = binary_model(
        op,
        a_shape,
        b_shape,
        dtype="int16",
        qa=(0.00058525, 0),
        qb=(0.00080693, 0),
        qo=(0.00102444, 0),
        act=act,
    )
    check_against_litert(m, tmp_path, n=3)


def test_int16_mul_saturation(tmp_path: Path, require_cc: str) -> None:
    m = binary_model(
        "MUL",
        (1, 8, 8, 4),
        (1, 8, 8, 4),
        dtype="int16",
        qa=(0.001, 0),
        qb=(0.002, 0),
        qo=(0.00001, 0),
    )
    check_against_litert(m, tmp_path)


@pytest.mark.corpus
def test_seanet_int16_add_golden(tmp_path: Path, require_cc: str) -> None:
    """The upstream TFLM int16x8 ADD test case: golden output from the CSV, and LiteRT."""
    d = corpus_model("tflm/seanet_int16x8_golden/add0.tflite").parent

    def csv(name: str) -> np.ndarray:
        text = (d / name).read_text().replace("\n", ",")
        return np.array([int(v) for v in text.split(",") if v.strip()], dtype=np.int16)

    x0 = csv("add0_input0_int16.csv").reshape(1, 1, 5, 64)
    x1 = csv("add0_input1_int16.csv").reshape(1, 1, 5, 64)
    golden = csv("add0_golden_int16.csv").reshape(1, 1, 5, 64)
    model = (d / "add0.tflite").read_bytes()
    check_against_litert(model, tmp_path, inputs=[[x0, x1]])  # C == LiteRT on the CSV inputs
    path = tmp_path / "op.tflite"  # written by check_against_litert
    (ref,) = litert_run(litert_reference(path), [x0, x1])
    np.testing.assert_array_equal(ref, golden)  # ... and LiteRT == the golden output
    check_against_litert(model, tmp_path, n=3)  # random inputs too


# ---- refusals ----------------------------------------------------------------------------


def _generate_error(tmp_path: Path, model: bytes) -> str:
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    with pytest.raises(UnsupportedError) as e:
        generate(path)
    return str(e.value)


def test_add_tiny_output_scale_refused(tmp_path: Path) -> None:
    m = binary_model("ADD", (1, 4), (1, 4), qa=(1.0, 0), qb=(1.0, 0), qo=(1e-7, 0))
    assert "output multiplier" in _generate_error(tmp_path, m)


def test_int16_pot_scales_refused(tmp_path: Path) -> None:
    q = (2.0**-10, 0)
    m = binary_model("ADD", (1, 4), (1, 4), dtype="int16", qa=q, qb=q, qo=q, pot_scale_int16=True)
    assert "pot_scale_int16" in _generate_error(tmp_path, m)


def test_six_loop_broadcast_refused(tmp_path: Path) -> None:
    m = binary_model("ADD", (2, 1, 2, 1, 2, 1), (1, 2, 1, 2, 1, 2))
    assert "loop levels" in _generate_error(tmp_path, m)


def test_rank5_same_shape_and_collapsible(tmp_path: Path, require_cc: str) -> None:
    check_against_litert(binary_model("ADD", (2, 3, 2, 2, 4), (2, 3, 2, 2, 4)), tmp_path, n=2)
    check_against_litert(binary_model("MUL", (2, 3, 2, 2, 4), (2, 1, 1, 1, 4)), tmp_path, n=2)


# ---- the broadcast walk (pure Python) --------------------------------------------------------


def _walk_indices(d: list[int], sa: list[int], sb: list[int]) -> tuple[np.ndarray, np.ndarray]:
    ia, ib = [], []
    for i0, i1, i2, i3 in itertools.product(*(range(x) for x in d)):
        ia.append(i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3])
        ib.append(i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3])
    return np.array(ia), np.array(ib)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [*SHAPES, ((2, 1, 3), (2, 4, 3)), ((1,), (5, 1)), ((3, 1, 1, 2), (3, 4, 5, 2))],
)
def test_broadcast_walk_matches_numpy(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
    out = broadcast_shapes(a_shape, b_shape)
    a = np.arange(int(np.prod(a_shape))).reshape(a_shape)
    b = np.arange(int(np.prod(b_shape))).reshape(b_shape)
    d, sa, sb = broadcast_walk(a_shape, b_shape, out)
    ia, ib = _walk_indices(d, sa, sb)
    ea, eb = np.broadcast_arrays(a, b)
    np.testing.assert_array_equal(ia, ea.reshape(-1))
    np.testing.assert_array_equal(ib, eb.reshape(-1))


def test_broadcast_walk_collapses() -> None:
    assert broadcast_walk((1, 5, 4, 8), (1, 5, 4, 8), (1, 5, 4, 8)) == (
        [1, 1, 1, 160],
        [0, 0, 0, 1],
        [0, 0, 0, 1],
    )
    assert broadcast_walk((2, 5, 4, 8), (2, 1, 1, 8), (2, 5, 4, 8)) == (
        [1, 2, 20, 8],
        [0, 160, 8, 1],
        [0, 8, 0, 1],
    )


# ---- single ops cut out of corpus models --------------------------------------------------

_NP_TYPE = {
    s.TensorType.INT8: "int8",
    s.TensorType.INT16: "int16",
    s.TensorType.INT32: "int32",
    s.TensorType.FLOAT32: "float32",
}
_OP_NAME = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
_OPTS_NAME = {v: k for k, v in vars(s.BuiltinOptions).items() if not k.startswith("_")}


def extract_op(model: Path, builtin: str, occurrence: int = 0) -> bytes:
    """The ``occurrence``-th ``builtin`` op of ``model`` as a one-op model (same tensors,
    quantization, constants and options)."""
    m = s.ModelT.InitFromPackedBuf(model.read_bytes(), 0)
    sg = m.subgraphs[0]
    ops = [
        o
        for o in sg.operators
        if _OP_NAME[
            max(
                m.operatorCodes[o.opcodeIndex].builtinCode,
                m.operatorCodes[o.opcodeIndex].deprecatedBuiltinCode,
            )
        ]
        == builtin
    ]
    op = ops[occurrence]
    b = TFLiteBuilder()
    remap: dict[int, int] = {}
    consts: set[int] = set()
    for ti in [*op.inputs, *op.outputs]:
        t = sg.tensors[ti]
        dtype = _NP_TYPE[t.type]
        raw = m.buffers[t.buffer].data
        data = None
        if raw is not None and len(raw):
            data = np.frombuffer(bytes(raw), dtype=dtype).reshape(t.shape)
            consts.add(ti)
        quant: dict[str, Any] = {}
        q = t.quantization
        if q is not None and q.scale is not None and len(q.scale):
            many = len(q.scale) > 1
            quant = {
                "scale": [float(v) for v in q.scale] if many else float(q.scale[0]),
                "zero_point": [int(v) for v in q.zeroPoint] if many else int(q.zeroPoint[0]),
                "axis": int(q.quantizedDimension),
            }
        remap[ti] = b.tensor(f"t{ti}", [int(v) for v in t.shape], dtype, data=data, **quant)
    code = m.operatorCodes[op.opcodeIndex]
    b.op(
        builtin,
        [remap[i] for i in op.inputs],
        [remap[i] for i in op.outputs],
        op.builtinOptions,
        options_type=_OPTS_NAME.get(op.builtinOptionsType),
        version=code.version,
    )
    return b.build([remap[i] for i in op.inputs if i not in consts], [remap[i] for i in op.outputs])


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("model", "builtin", "occurrence"),
    [
        ("tinyengine_mit/mcunet_mcunetv2_large.tflite", "MUL", 3),  # SE block x per-channel
        ("tinyengine_mit/mcunet_mcunetv2_large.tflite", "MUL", 0),  # [1,1,1,C] x const [1]
        ("tinyengine_mit/mcunet_mcunetv2_large.tflite", "ADD", 0),  # [1,1,1,C] + const [1]
        ("tinyengine_mit/mcunet_vww.tflite", "ADD", 0),
        ("mlperf_tiny/pretrainedResnet_quant.tflite", "ADD", 0),
        ("stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite", "MUL", 0),
        ("stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite", "ADD", 0),
    ],
)
def test_corpus_ops(
    tmp_path: Path, require_cc: str, model: str, builtin: str, occurrence: int
) -> None:
    check_against_litert(extract_op(corpus_model(model), builtin, occurrence), tmp_path, n=3)


# ---- the whole family in one model, with sanitizers -----------------------------------------


def _family_chain(dtype: str) -> bytes:
    """x -> avg pool -> max pool -> (SE: x * mean over H, W) -> + const -> - pooled -> max with
    a constant -> min -> mean over channels, every op of this family in one model."""
    i16 = dtype == "int16"
    rng = np.random.default_rng(9)
    b = TFLiteBuilder()

    def act(name: str, shape: list[int], scale: float, zp: int) -> int:
        return b.tensor(
            name, shape, dtype, scale=scale / 256 if i16 else scale, zero_point=0 if i16 else zp
        )

    def const(name: str, shape: tuple[int, ...], scale: float) -> int:
        info = np.iinfo(np.dtype(dtype))
        data = rng.integers(info.min, info.max + 1, shape).astype(dtype)
        return b.const(name, data, scale=scale / 256 if i16 else scale, zero_point=0)

    v, vp = (2, 2) if dtype == "int8" else (4, 3)  # LiteRT accepts these op versions
    x = act("x", [1, 8, 8, 6], 0.05, -10)
    p1 = act("p1", [1, 8, 8, 6], 0.05, -10)
    p2 = act("p2", [1, 4, 4, 6], 0.05, -10)
    pool = "Pool2DOptionsT"
    b.op(
        "AVERAGE_POOL_2D",
        [x],
        [p1],
        options(pool, padding=PAD_SAME, strideH=1, strideW=1, filterHeight=3, filterWidth=3),
        version=vp,
    )
    b.op(
        "MAX_POOL_2D",
        [p1],
        [p2],
        options(pool, padding=PAD_VALID, strideH=2, strideW=2, filterHeight=2, filterWidth=2),
        version=vp,
    )
    m1 = act("m1", [1, 1, 1, 6], 0.03, 2)
    axes = b.const("axes", np.array([1, 2], dtype=np.int32))
    b.op("MEAN", [p2, axes], [m1], options("ReducerOptionsT", keepDims=True), version=2)
    u = act("u", [1, 4, 4, 6], 0.04, -3)
    b.op("MUL", [p2, m1], [u], options("MulOptionsT", fusedActivationFunction=ACT.RELU), version=v)
    a = act("a", [1, 4, 4, 6], 0.05, 1)
    b.op(
        "ADD",
        [u, const("c", (6,), 0.02)],
        [a],
        options("AddOptionsT", fusedActivationFunction=ACT.RELU6),
        version=v,
    )
    d = act("d", [1, 4, 4, 6], 0.06, 0)
    b.op("SUB", [a, p2], [d], options("SubOptionsT"), version=v)
    mx = act("mx", [1, 4, 4, 6], 0.06, 0)
    b.op("MAXIMUM", [d, const("k", (1,), 0.06)], [mx], version=v)
    mn = act("mn", [1, 4, 4, 6], 0.06, 0)
    b.op("MINIMUM", [mx, d], [mn], version=v)
    y = act("y", [1, 4, 4], 0.01, 0)
    ch = b.const("ch", np.array([3], dtype=np.int32))
    b.op("MEAN", [mn, ch], [y], options("ReducerOptionsT", keepDims=False), version=2)
    return b.build([x], [y])


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_family_chain_litert_and_sanitizers(tmp_path: Path, require_cc: str, dtype: str) -> None:
    import subprocess

    from mcuai.targets.harness import host_harness
    from mcuai.targets.host import HostModel, build

    model = _family_chain(dtype)
    check_against_litert(model, tmp_path, n=3)
    path = tmp_path / "chain.tflite"
    path.write_bytes(model)
    code = generate(path, name="chain")
    sfx = "s8" if dtype == "int8" else "s16"
    used = {k for la in code.layers for k in la["kernels"]}
    assert used == {
        f"mcu_{k}_{sfx}"
        for k in ("avgpool2d", "maxpool2d", "mean", "mul", "add", "sub", "maximum", "minimum")
    }
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    info = np.iinfo(np.dtype(dtype))
    x = np.random.default_rng(5).integers(info.min, info.max + 1, (1, 8, 8, 6)).astype(dtype)
    (tmp_path / "in0").write_bytes(x.tobytes())
    out = tmp_path / "out0"
    r = subprocess.run(
        [str(exe), str(tmp_path / "in0"), str(out)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run([x])
    np.testing.assert_array_equal(np.frombuffer(out.read_bytes(), dtype), ref[0].reshape(-1))
