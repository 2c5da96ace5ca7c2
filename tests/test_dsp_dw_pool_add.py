"""Cortex-M DSP-extension and Helium paths of depthwise convolution, pooling and ADD (issue #5,
item 3).

Each single-op model runs on the emulated Cortex-M4 (some also on the M7/M33, and the M55 for
the Helium paths) twice: built as is (``__ARM_FEATURE_DSP`` selects the SXTB16/SMLAxx paths,
``__ARM_FEATURE_MVE`` the Helium ones) and with ``-DMCU_PORTABLE`` (the portable C). Both
must equal LiteRT's reference kernels (``BUILTIN_REF``) exactly, on seeded random inputs plus
the extreme inputs (all -128, all 127). The two builds must differ in the kernels' code size,
so a test cannot pass with the fast path silently compiled out.

Every model also returns its inputs through a RESHAPE (a view, no code): the inputs then stay
live after the op, so the memory planner cannot put the op in place, which would select the
in-place kernel variants instead of the kernels under test.
"""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import litert_reference, litert_run, random_input
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.codegen.emit import GeneratedCode
from mcuai.lower.repack_dw import pack_dw3x3, unpack_dw3x3
from mcuai.targets.cortexm import ToolchainError, build_elf, elf_sizes, find_toolchain
from mcuai.targets.cortexm.validation import run_validation, validation_harness
from test_ops_dwconv2d import dw_model
from test_ops_elementwise import binary_model
from test_ops_pool import pool_model

pytestmark = [pytest.mark.qemu, pytest.mark.ref]
ACT = s.ActivationFunctionType
PAD = s.Padding
ACTS = [ACT.NONE, ACT.RELU, ACT.RELU6, ACT.RELU_N1_TO_1]


@pytest.fixture(scope="module")
def arm_tools() -> None:
    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))


def keep_inputs_alive(model: bytes) -> bytes:
    """``model`` with each graph input also returned through a RESHAPE to its own shape."""
    m = s.ModelT.InitFromObj(s.Model.GetRootAs(model, 0))
    sg = m.subgraphs[0]
    oc = s.OperatorCodeT()
    oc.builtinCode = oc.deprecatedBuiltinCode = s.BuiltinOperator.RESHAPE
    oc.version = 1
    m.operatorCodes.append(oc)
    outs = list(sg.outputs)
    for i in list(sg.inputs):
        src = sg.tensors[i]
        shape_buf = s.BufferT()
        shape_buf.data = np.frombuffer(np.asarray(src.shape, np.int32).tobytes(), np.uint8)
        m.buffers.append(shape_buf)
        st = s.TensorT()
        st.name, st.type = f"{src.name!r}_shape", s.TensorType.INT32
        st.shape = np.asarray([len(src.shape)], np.int32)
        st.buffer = len(m.buffers) - 1
        sg.tensors.append(st)
        t = s.TensorT()
        t.name, t.shape, t.type, t.buffer = f"{src.name!r}_out", src.shape, src.type, 0
        t.quantization = src.quantization
        sg.tensors.append(t)
        op = s.OperatorT()
        op.opcodeIndex = len(m.operatorCodes) - 1
        op.inputs = np.asarray([i, len(sg.tensors) - 2], np.int32)
        op.outputs = np.asarray([len(sg.tensors) - 1], np.int32)
        sg.operators.append(op)
        outs.append(len(sg.tensors) - 1)
    sg.outputs = np.asarray(outs, np.int32)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _samples(it: object, n: int, seed: int) -> list[list[np.ndarray]]:
    details = it.get_input_details()  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    out = [[random_input(tuple(d["shape"]), d["dtype"], rng) for d in details] for _ in range(n)]
    for v in (-128, 127):
        out.append([np.full(tuple(d["shape"]), v, dtype=d["dtype"]) for d in details])
    return out


def check_dsp(
    model: bytes,
    tmp_path: Path,
    kernel: str,
    target: str = "cortex-m4",
    n: int = 3,
    seed: int = 0,
    inputs: list[list[np.ndarray]] | None = None,
    opt: str = "-O2",
) -> GeneratedCode:
    """Run ``model`` on ``target`` with the DSP path and with ``-DMCU_PORTABLE``; both must
    equal LiteRT BUILTIN_REF exactly, and ``kernel`` must be the only kernel."""
    path = tmp_path / "op.tflite"
    path.write_bytes(keep_inputs_alive(model))
    code = generate(path, name="op")
    assert [k for la in code.layers for k in la["kernels"]] == [kernel]
    it = litert_reference(path)
    samples = inputs if inputs is not None else _samples(it, n, seed)
    refs = [litert_run(it, xs) for xs in samples]
    harness = validation_harness(code)
    sizes = []
    for flags in ([], ["-DMCU_PORTABLE"]):
        elf = build_elf(code, target, opt, harness=harness, extra_cflags=flags)
        sizes.append(elf_sizes(elf).groups["kernels"].text)
        got = run_validation(elf, code, target, samples)
        for k, ((outs, _), ref) in enumerate(zip(got, refs, strict=True)):
            for g, r in zip(outs, ref, strict=True):
                assert g.shape == r.shape and g.dtype == r.dtype
                diff = np.abs(g.astype(np.int64) - r.astype(np.int64))
                assert diff.max() == 0, (
                    f"{flags or 'DSP'} sample {k}: {np.count_nonzero(diff)}/{diff.size} differ, "
                    f"max {diff.max()} LSB, first at {np.argwhere(diff)[0].tolist()}"
                )
    assert sizes[0] != sizes[1], "the DSP path was not compiled in"
    return code


def on_cores(cases: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Every case on the Cortex-M4 (DSP extension), every other one also on the M55 (Helium)."""
    out = [("cortex-m4", *c) for c in cases]
    return out + [("cortex-m55", *c) for c in cases[1::2]]


# ---- depthwise convolution ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "shape", "stride", "padding", "act", "per_channel"),
    on_cores(
        [
            ((1, 9, 8, 8), (1, 1), PAD.SAME, ACT.NONE, True),  # 2 channel groups
            ((1, 9, 8, 11), (2, 2), PAD.SAME, ACT.RELU, False),  # groups + 3-channel tail
            ((1, 7, 10, 3), (1, 1), PAD.VALID, ACT.RELU6, True),  # tail only
            ((2, 8, 7, 12), (2, 1), PAD.VALID, ACT.RELU_N1_TO_1, False),  # batch 2
            ((1, 4, 5, 17), (3, 3), PAD.SAME, ACT.NONE, True),  # stride > window on borders
            ((1, 6, 6, 20), (1, 1), PAD.SAME, ACT.RELU6, False),  # mostly border pixels
        ]
    ),
)
def test_dw3x3(
    tmp_path: Path,
    arm_tools: None,
    target: str,
    shape: tuple[int, int, int, int],
    stride: tuple[int, int],
    padding: int,
    act: int,
    per_channel: bool,
) -> None:
    m = dw_model(shape, (3, 3), stride=stride, padding=padding, act=act, per_channel=per_channel)
    check_dsp(m, tmp_path, "mcu_dwconv2d_3x3_s8", target=target)


@pytest.mark.parametrize("c", [1, 3, 4, 8, 11])
def test_pack_dw3x3_layout(c: int) -> None:
    w = np.arange(9 * c, dtype=np.int64).reshape(1, 3, 3, c).astype(np.int8)
    packed = pack_dw3x3(w)
    assert packed.size == w.size
    g, t = c // 4, c % 4
    for ky in range(3):
        for kx in range(3):
            k = 3 * ky + kx
            for o in range(c):
                at = 36 * (o // 4) + 4 * k + o % 4 if o < 4 * g else 36 * g + t * k + o - 4 * g
                assert packed[at] == w[0, ky, kx, o]
    assert np.array_equal(unpack_dw3x3(packed, c), w[0])


# ---- ADD ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "a_shape", "b_shape", "qa", "qb", "qo", "act"),
    on_cores(
        [
            ((1, 5, 4, 7), (1, 5, 4, 7), (0.05, 3), (0.03, -7), (0.06, 1), ACT.NONE),
            ((1, 5, 4, 8), (8,), (0.02, -128), (0.09, 127), (0.1, -3), ACT.RELU),  # broadcast
            ((2, 3, 1, 6), (1, 1, 4, 1), (0.05, 0), (0.05, 0), (0.1, 0), ACT.RELU6),  # equal
            ((1, 9, 9, 3), (1, 9, 9, 3), (0.2, 10), (0.3, -10), (0.01, 100), ACT.RELU_N1_TO_1),
        ]
    ),
)
def test_add(
    tmp_path: Path,
    arm_tools: None,
    target: str,
    a_shape: tuple[int, ...],
    b_shape: tuple[int, ...],
    qa: tuple[float, int],
    qb: tuple[float, int],
    qo: tuple[float, int],
    act: int,
) -> None:
    m = binary_model("ADD", a_shape, b_shape, qa=qa, qb=qb, qo=qo, act=act)
    check_dsp(m, tmp_path, "mcu_add_s8", target=target)


def test_add_all_pairs_ties(tmp_path: Path, arm_tools: None) -> None:
    # equal input scales and twice that output scale: every odd sum is a rounding tie
    vals = np.arange(-128, 128, dtype=np.int8)
    a, b = (v.reshape(1, 256, 256, 1) for v in np.meshgrid(vals, vals, indexing="ij"))
    m = binary_model("ADD", a.shape, b.shape, qa=(0.05, 0), qb=(0.05, 0), qo=(0.1, 0))
    for target in ("cortex-m4", "cortex-m55"):
        (tmp_path / target).mkdir()
        check_dsp(m, tmp_path / target, "mcu_add_s8", target=target, inputs=[[a, b]])


# ---- pooling --------------------------------------------------------------------------------
POOL_KERNEL = {"AVERAGE_POOL_2D": "mcu_avgpool2d_s8", "MAX_POOL_2D": "mcu_maxpool2d_s8"}


@pytest.mark.parametrize("op", sorted(POOL_KERNEL))
@pytest.mark.parametrize(
    ("target", "shape", "k", "stride", "padding", "act"),
    on_cores(
        [
            ((1, 9, 8, 8), (3, 3), (2, 2), PAD.SAME, ACT.NONE),  # clipped border windows
            ((1, 6, 7, 11), (2, 2), (2, 2), PAD.VALID, ACT.RELU),  # 4-channel groups + tail
            ((2, 7, 5, 3), (3, 2), (1, 1), PAD.SAME, ACT.RELU6),  # tail only, batch 2
            ((1, 25, 5, 12), (25, 5), (1, 1), PAD.VALID, ACT.RELU_N1_TO_1),  # global, 125 taps
            ((1, 20, 15, 4), (20, 15), (1, 1), PAD.VALID, ACT.NONE),  # 300 taps: 32-bit sums
            ((1, 6, 6, 37), (2, 3), (2, 2), PAD.SAME, ACT.RELU),  # 16-channel vectors + tail
        ]
    ),
)
def test_pool(
    tmp_path: Path,
    arm_tools: None,
    target: str,
    op: str,
    shape: tuple[int, int, int, int],
    k: tuple[int, int],
    stride: tuple[int, int],
    padding: int,
    act: int,
) -> None:
    m = pool_model(op, shape, k, stride=stride, padding=padding, act=act)
    check_dsp(m, tmp_path, POOL_KERNEL[op], target=target)


@pytest.mark.parametrize(
    ("shape", "k", "stride", "dilation", "padding", "act", "bias"),
    [
        ((1, 9, 8, 8), (5, 5), (1, 1), (1, 1), PAD.SAME, ACT.NONE, True),
        ((1, 10, 9, 11), (2, 4), (2, 1), (1, 1), PAD.SAME, ACT.RELU, False),  # tail, no bias
        ((2, 12, 11, 4), (3, 3), (1, 2), (2, 3), PAD.SAME, ACT.RELU6, True),  # dilation
        ((1, 7, 7, 5), (7, 7), (1, 1), (1, 1), PAD.VALID, ACT.RELU_N1_TO_1, True),
    ],
)
@pytest.mark.parametrize("per_channel", [True, False])
def test_dw_generic(
    tmp_path: Path,
    arm_tools: None,
    shape: tuple[int, int, int, int],
    k: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    padding: int,
    act: int,
    bias: bool,
    per_channel: bool,
) -> None:
    m = dw_model(
        shape,
        k,
        stride=stride,
        dilation=dilation,
        padding=padding,
        act=act,
        bias=bias,
        per_channel=per_channel,
    )
    check_dsp(m, tmp_path, "mcu_dwconv2d_s8")


@pytest.mark.parametrize("k", [(3, 3), (5, 5)])
def test_dw_multiplier_keeps_portable_path(
    tmp_path: Path, arm_tools: None, k: tuple[int, int]
) -> None:
    # channel multiplier 2: the DSP builds take the portable loops and must agree too
    kernel = "mcu_dwconv2d_3x3_s8" if k == (3, 3) else "mcu_dwconv2d_s8"
    check_dsp(dw_model((1, 6, 7, 5), k, mult=2, act=ACT.RELU), tmp_path, kernel)


@pytest.mark.parametrize("k", [(3, 3), (5, 5)])
@pytest.mark.parametrize("target", ["cortex-m7", "cortex-m33"])
def test_dw_other_dsp_cores(
    tmp_path: Path, arm_tools: None, k: tuple[int, int], target: str
) -> None:
    kernel = "mcu_dwconv2d_3x3_s8" if k == (3, 3) else "mcu_dwconv2d_s8"
    check_dsp(dw_model((1, 8, 9, 10), k, act=ACT.RELU6), tmp_path, kernel, target=target)


def test_dw_rounding_ties(tmp_path: Path, arm_tools: None) -> None:
    # s_x * s_w / s_y = 2^-8 exactly (as in test_ops_dwconv2d): one accumulator in 256 is a tie
    for k, kernel in (((3, 3), "mcu_dwconv2d_3x3_s8"), ((5, 5), "mcu_dwconv2d_s8")):
        m = dw_model(
            (1, 8, 8, 8),
            k,
            per_channel=False,
            in_q=(0.0625, 1),
            out_q=(0.25, -2),
            w_scale=0.015625,
            w_range=2,
            seed=4,
        )
        for target in ("cortex-m4", "cortex-m55"):
            (tmp_path / kernel / target).mkdir(parents=True)
            check_dsp(m, tmp_path / kernel / target, kernel, target=target, n=8)


def test_dw_multiplier_at_least_one_half(tmp_path: Path, arm_tools: None) -> None:
    # s_x * s_w / s_y >= 1/2: shift >= 0, the requantization path without the rounding shift
    for k, kernel in (((3, 3), "mcu_dwconv2d_3x3_s8"), ((5, 5), "mcu_dwconv2d_s8")):
        m = dw_model(
            (1, 6, 6, 8), k, per_channel=False, in_q=(0.5, 3), out_q=(0.01, -1), w_scale=0.03
        )
        for target in ("cortex-m4", "cortex-m55"):
            (tmp_path / kernel / target).mkdir(parents=True)
            check_dsp(m, tmp_path / kernel / target, kernel, target=target)


@pytest.mark.parametrize("opt", ["-O0", "-Os", "-O3"])
def test_dw3x3_other_opt_levels(tmp_path: Path, arm_tools: None, opt: str) -> None:
    # the inline-asm blocks get other registers at other optimization levels
    m = dw_model((1, 7, 6, 12), (3, 3), act=ACT.RELU6, per_channel=True)
    check_dsp(m, tmp_path, "mcu_dwconv2d_3x3_s8", opt=opt)


def _dw_big_bias_model(k: tuple[int, int], seed: int = 5) -> bytes:
    """3x3/5x5 depthwise with biases up to +-2^29 and an output scale 2^22 times the
    accumulator scale: large accumulators and right shifts above 20 in the requantization."""
    rng = np.random.default_rng(seed)
    c = 12
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 7, 6, c], "int8", scale=0.5, zero_point=-3)
    ws = [float(v) for v in rng.uniform(0.5, 1.0, c)]
    w = b.const(
        "w",
        rng.integers(-127, 128, (1, k[0], k[1], c)).astype(np.int8),
        scale=ws,
        zero_point=[0] * c,
        axis=3,
    )
    bias = b.const(
        "bias",
        rng.integers(-(2**29), 2**29, c).astype(np.int32),
        scale=[0.5 * v for v in ws],
        zero_point=[0] * c,
    )
    y = b.tensor("y", [1, 7, 6, c], "int8", scale=0.5 * 2.0**22 * 0.75, zero_point=5)
    opts = options(
        "DepthwiseConv2DOptionsT",
        padding=PAD.SAME,
        strideH=1,
        strideW=1,
        depthMultiplier=1,
        dilationHFactor=1,
        dilationWFactor=1,
        fusedActivationFunction=ACT.NONE,
    )
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], opts, version=6)
    return b.build([x], [y])


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("k", [(3, 3), (5, 5)])
def test_dw_large_accumulators(
    tmp_path: Path, arm_tools: None, k: tuple[int, int], target: str
) -> None:
    kernel = "mcu_dwconv2d_3x3_s8" if k == (3, 3) else "mcu_dwconv2d_s8"
    check_dsp(_dw_big_bias_model(k), tmp_path, kernel, n=4, target=target)


@pytest.mark.parametrize(
    ("shape", "k", "stride", "dilation", "bias"),
    [
        ((1, 9, 8, 8), (5, 5), (1, 1), (1, 1), True),
        ((1, 10, 9, 11), (2, 4), (2, 1), (1, 1), False),  # tail group, no bias
        ((2, 12, 11, 6), (3, 3), (1, 2), (2, 3), True),  # dilation, batch 2
    ],
)
def test_dw_generic_m55(
    tmp_path: Path,
    arm_tools: None,
    shape: tuple[int, int, int, int],
    k: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    bias: bool,
) -> None:
    m = dw_model(shape, k, stride=stride, dilation=dilation, act=ACT.RELU6, bias=bias)
    check_dsp(m, tmp_path, "mcu_dwconv2d_s8", target="cortex-m55")
