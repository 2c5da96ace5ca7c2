"""Quantized element-wise activations and PRELU against LiteRT BUILTIN_REF (exact).

int8 LOGISTIC, TANH, HARD_SWISH, RELU/RELU6/RELU_N1_TO_1 and LEAKY_RELU run as a 256-entry table
(``mcu_lut_s8``); each case feeds every int8 value, so every table entry is checked. int16
LOGISTIC/TANH (``mcu_logistic_s16``/``mcu_tanh_s16``) are checked on all 65536 inputs. int8 PRELU
(``mcu_prelu_s8``) covers broadcast shapes, constant and run-time alpha, multipliers above one
and every (input, alpha) pair. Combinations LiteRT refuses are refused with a clear error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.errors import UnsupportedError

pytestmark = [pytest.mark.cc, pytest.mark.ref]

Q = tuple[float, int]


def unary_model(
    op: str,
    shape: list[int],
    in_q: Q,
    out_q: Q,
    dtype: str = "int8",
    opts: Any = None,
    out_dtype: str | None = None,
) -> bytes:
    b = TFLiteBuilder()
    x = b.tensor("x", shape, dtype, scale=in_q[0], zero_point=in_q[1])
    y = b.tensor("y", shape, out_dtype or dtype, scale=out_q[0], zero_point=out_q[1])
    b.op(op, [x], [y], opts)
    return b.build([x], [y])


def every_value(dtype: str, shape: list[int], rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Inputs of ``shape`` that together hold every value of ``dtype`` (shuffled)."""
    info = np.iinfo(np.dtype(dtype))
    vals = np.arange(int(info.min), int(info.max) + 1)
    size = int(np.prod(shape))
    reps = -(-vals.size // size)
    padded = np.concatenate([rng.permutation(vals), rng.integers(info.min, info.max, reps * size)])
    return [[padded[i * size : (i + 1) * size].astype(dtype).reshape(shape)] for i in range(reps)]


def check_all_values(
    model: bytes, tmp_path: Path, shape: list[int], dtype: str = "int8", name: str = "op"
) -> None:
    rng = np.random.default_rng(1)
    check_against_litert(model, tmp_path, inputs=every_value(dtype, shape, rng), name=name)


def refused(model: bytes, tmp_path: Path, match: str, litert_refuses: bool = True) -> None:
    """mcuai raises UnsupportedError (message matching ``match``); LiteRT refuses it too."""
    path = tmp_path / "refused.tflite"
    path.write_bytes(model)
    with pytest.raises(UnsupportedError, match=match):
        generate(path, name="refused")
    if litert_refuses:
        it = Interpreter(
            model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_REF
        )
        with pytest.raises(RuntimeError):
            it.allocate_tensors()


# ---- LOGISTIC / TANH int8 -----------------------------------------------------------------------

IN_QS: list[Q] = [(0.05, 3), (0.0039, -128), (0.1, 0), (0.5, 127), (0.0123, -37), (3.7, 20)]


@pytest.mark.parametrize("in_q", IN_QS)
@pytest.mark.parametrize("out_zp", [-128, 0])
def test_logistic_s8(require_cc: str, tmp_path: Path, in_q: Q, out_zp: int) -> None:
    """Output scale 1/256 with the usual zero point -128 and another one (LiteRT accepts any)."""
    m = unary_model("LOGISTIC", [1, 4, 4, 16], in_q, (1 / 256, out_zp))
    check_all_values(m, tmp_path, [1, 4, 4, 16])


@pytest.mark.parametrize(
    ("in_q", "out_q"),
    [
        ((0.05, 3), (1 / 128, 0)),
        ((0.0039, -128), (1 / 128, 0)),
        ((0.2, 10), (1 / 128, 0)),
        ((0.03, -5), (0.01, -20)),  # not the converter's usual output, LiteRT takes it
        ((1.3, 0), (1 / 128, 0)),
    ],
)
def test_tanh_s8(require_cc: str, tmp_path: Path, in_q: Q, out_q: Q) -> None:
    check_all_values(unary_model("TANH", [2, 128], in_q, out_q), tmp_path, [2, 128])


def test_logistic_s8_needs_output_scale_1_256(require_cc: str, tmp_path: Path) -> None:
    m = unary_model("LOGISTIC", [1, 8], (0.05, 0), (1 / 128, -128))
    refused(m, tmp_path, "1/256")


def test_element_wise_shapes(require_cc: str, tmp_path: Path) -> None:
    """Rank 1 and rank 5 tensors, sizes that are not multiples of anything."""
    check_all_values(unary_model("TANH", [257], (0.05, 3), (1 / 128, 0)), tmp_path, [257])
    shape5 = [2, 3, 1, 5, 7]
    m = unary_model("LOGISTIC", shape5, (0.07, -9), (1 / 256, -128))
    check_all_values(m, tmp_path, shape5, name="rank5")


def test_mixed_types_refused(require_cc: str, tmp_path: Path) -> None:
    m = unary_model("LOGISTIC", [1, 8], (0.05, 0), (1 / 32768, 0), out_dtype="int16")
    refused(m, tmp_path, "differ")


# ---- HARD_SWISH ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_q", "out_q"),
    [
        ((0.05, 3), (0.03, -10)),
        ((0.1, -128), (0.05, -100)),
        ((0.02, 0), (0.02, 0)),
        ((0.3, 50), (0.15, -128)),
        ((0.004, -20), (0.0021, 7)),
        ((0.05, 3), (0.01, -128)),  # output saturates
    ],
)
def test_hard_swish_s8(require_cc: str, tmp_path: Path, in_q: Q, out_q: Q) -> None:
    check_all_values(unary_model("HARD_SWISH", [4, 64], in_q, out_q), tmp_path, [4, 64])


def test_hard_swish_s8_output_multiplier_above_one_refused(require_cc: str, tmp_path: Path) -> None:
    """(s_in / 128) / s_out >= 1: LiteRT's HardSwishPrepare rejects it."""
    m = unary_model("HARD_SWISH", [1, 8], (0.5, 0), (0.003, 0))
    refused(m, tmp_path, "HARD_SWISH")


# ---- RELU family --------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1"])
@pytest.mark.parametrize(
    ("in_q", "out_q"),
    [
        ((0.05, 3), (0.05, 3)),  # same quantization: a clamp
        ((0.05, 3), (0.03, -10)),  # requantization
        ((0.1, -128), (0.5, 100)),  # bounds outside the int8 range
        ((0.02, 0), (0.5, -128)),  # 6 / 0.5 = 12 exactly; rounding ties in the requantization
        ((1 / 64, 5), (2 / 3, 0)),  # +-1 / (2/3) = 1.5: roundf tie of the bound
        ((0.2, -7), (0.01, 0)),  # s_in / s_out > 1 (left shift)
    ],
)
def test_relu_s8(require_cc: str, tmp_path: Path, op: str, in_q: Q, out_q: Q) -> None:
    check_all_values(unary_model(op, [2, 128], in_q, out_q), tmp_path, [2, 128])


# ---- LEAKY_RELU ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.2, 0.01, 0.0, 1.0, 1.5, -0.3])
@pytest.mark.parametrize(("in_q", "out_q"), [((0.05, 3), (0.03, -10)), ((0.1, -128), (0.1, -128))])
def test_leaky_relu_s8(require_cc: str, tmp_path: Path, alpha: float, in_q: Q, out_q: Q) -> None:
    m = unary_model(
        "LEAKY_RELU", [2, 128], in_q, out_q, opts=options("LeakyReluOptionsT", alpha=alpha)
    )
    check_all_values(m, tmp_path, [2, 128])


# ---- int16 LOGISTIC / TANH ---------------------------------------------------------------------


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize(
    "in_scale",
    [
        2**-12,  # power of two: multiplier 3 << shift (shift 0)
        2**-11,  # power of two for TANH (shift 1), general rule for LOGISTIC
        2**-10,
        0.0004,
        8 / 32768,
        1e-6,  # tiny: large right shift
        5.0,  # large: multiplier 61440, close to the bound 65535
    ],
)
def test_logistic_tanh_s16(require_cc: str, tmp_path: Path, op: str, in_scale: float) -> None:
    m = unary_model(op, [1, 65536], (in_scale, 0), (1 / 32768, 0), dtype="int16")
    x = np.arange(-32768, 32768, dtype=np.int16).reshape(1, -1)
    check_against_litert(m, tmp_path, inputs=[[x]])


def test_logistic_tanh_s16_random_shape(require_cc: str, tmp_path: Path) -> None:
    m = unary_model("TANH", [2, 3, 5, 7], (0.0007, 0), (1 / 32768, 0), dtype="int16")
    check_against_litert(m, tmp_path, n=3)


@pytest.mark.parametrize(
    ("op", "in_q", "out_q", "match"),
    [
        ("LOGISTIC", (2**-12, 3), (1 / 32768, 0), "zero points"),
        ("TANH", (2**-12, 0), (1 / 32768, 5), "zero points"),
        ("LOGISTIC", (2**-12, 0), (1 / 16384, 0), "1/32768"),
        ("TANH", (2**-12, 0), (1 / 65536, 0), "2\\^-15"),
    ],
)
def test_logistic_tanh_s16_refused(
    require_cc: str, tmp_path: Path, op: str, in_q: Q, out_q: Q, match: str
) -> None:
    refused(unary_model(op, [1, 8], in_q, out_q, dtype="int16"), tmp_path, match)


def test_logistic_s16_huge_input_scale_refused(require_cc: str, tmp_path: Path) -> None:
    """s_in * 12288 > 65535: the reference's int32 product would overflow (LiteRT runs it)."""
    m = unary_model("LOGISTIC", [1, 8], (10.0, 0), (1 / 32768, 0), dtype="int16")
    refused(m, tmp_path, "too large", litert_refuses=False)


def test_int16_relu_has_no_kernel(require_cc: str, tmp_path: Path) -> None:
    m = unary_model("RELU", [1, 8], (2**-12, 0), (2**-12, 0), dtype="int16")
    refused(m, tmp_path, "no kernel", litert_refuses=False)


# ---- PRELU --------------------------------------------------------------------------------------


def prelu_model(
    x_shape: list[int],
    a_shape: list[int],
    in_q: Q = (0.05, 3),
    a_q: Q = (0.02, -4),
    out_q: Q = (0.04, -2),
    alpha: np.ndarray | None = None,
    const_alpha: bool = True,
    seed: int = 0,
) -> bytes:
    rng = np.random.default_rng(seed)
    b = TFLiteBuilder()
    x = b.tensor("x", x_shape, "int8", scale=in_q[0], zero_point=in_q[1])
    if const_alpha:
        data = alpha if alpha is not None else rng.integers(-128, 128, a_shape).astype(np.int8)
        a = b.const("alpha", data.reshape(a_shape), scale=a_q[0], zero_point=a_q[1])
    else:
        a = b.tensor("alpha", a_shape, "int8", scale=a_q[0], zero_point=a_q[1])
    y = b.tensor("y", x_shape, "int8", scale=out_q[0], zero_point=out_q[1])
    b.op("PRELU", [x, a], [y])
    return b.build([x] if const_alpha else [x, a], [y])


@pytest.mark.parametrize(
    ("x_shape", "a_shape"),
    [
        ([1, 5, 6, 8], [1, 1, 8]),  # the usual: per channel over N, H, W
        ([2, 5, 6, 8], [8]),
        ([1, 5, 6, 8], [1, 5, 6, 8]),  # same shape: reference_ops::Prelu
        ([1, 5, 6, 8], [1]),
        ([2, 5, 6, 8], [5, 1, 8]),  # per row and channel
        ([3, 17], [17]),
        ([2, 3, 4, 5, 6], [1, 1, 6]),  # rank 5
    ],
)
def test_prelu_s8_broadcast(
    require_cc: str, tmp_path: Path, x_shape: list[int], a_shape: list[int]
) -> None:
    check_against_litert(prelu_model(x_shape, a_shape), tmp_path, n=3)


@pytest.mark.parametrize(
    ("in_q", "a_q", "out_q"),
    [
        ((0.05, 3), (0.02, -4), (0.04, -2)),
        ((0.05, -128), (1 / 128, 0), (0.05, -128)),  # the converter's usual form
        ((0.1, 0), (0.01, 0), (0.01, 0)),  # s_in / s_out = 10: multiplier above one
        ((0.02, 127), (0.5, 127), (0.001, 0)),  # both multipliers above one, saturation
        ((0.3, 20), (0.003, -100), (0.5, 60)),
    ],
)
def test_prelu_s8_every_pair(require_cc: str, tmp_path: Path, in_q: Q, a_q: Q, out_q: Q) -> None:
    """Input [256, 256] holding value i - 128 in row i; alpha [256] holding every value: every
    (input, alpha) pair once."""
    alpha = np.arange(-128, 128, dtype=np.int8)
    m = prelu_model([256, 256], [256], in_q, a_q, out_q, alpha=alpha)
    x = np.repeat(np.arange(-128, 128, dtype=np.int8)[:, None], 256, axis=1)
    check_against_litert(m, tmp_path, inputs=[[x]])


def test_prelu_s8_runtime_alpha(require_cc: str, tmp_path: Path) -> None:
    """alpha as a second model input (not a constant)."""
    check_against_litert(prelu_model([1, 4, 4, 6], [1, 1, 6], const_alpha=False), tmp_path, n=4)


def test_prelu_mixed_types_refused(require_cc: str, tmp_path: Path) -> None:
    """A float alpha with int8 data: LiteRT 2.3 runs it but reads the float bytes as int8 with
    scale 0 (meaningless output); mcuai refuses it."""
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4, 4], "int8", scale=0.05, zero_point=0)
    a = b.const("alpha", np.full((4,), 0.2, np.float32))
    y = b.tensor("y", [1, 4, 4], "int8", scale=0.05, zero_point=0)
    b.op("PRELU", [x, a], [y])
    refused(b.build([x], [y]), tmp_path, "int8 PRELU", litert_refuses=False)


# ---- the whole family in one model, with sanitizers ---------------------------------------------


def _family_chain(dtype: str) -> bytes:
    b = TFLiteBuilder()
    if dtype == "int16":
        x = b.tensor("x", [1, 8, 8, 4], "int16", scale=0.0004, zero_point=0)
        y1 = b.tensor("y1", [1, 8, 8, 4], "int16", scale=1 / 32768, zero_point=0)
        y2 = b.tensor("y2", [1, 8, 8, 4], "int16", scale=1 / 32768, zero_point=0)
        b.op("LOGISTIC", [x], [y1])
        b.op("TANH", [y1], [y2])
        return b.build([x], [y2])
    shape = [1, 8, 8, 4]
    qs: list[tuple[str, Q]] = [
        ("x", (0.05, 3)),
        ("hs", (0.03, -10)),
        ("lr", (0.02, -20)),
        ("pr", (0.02, -5)),
        ("r6", (0.025, -128)),
        ("th", (1 / 128, 0)),
        ("lg", (1 / 256, -128)),
        ("sm", (1 / 256, -128)),
    ]
    t = {n: b.tensor(n, shape, "int8", scale=q[0], zero_point=q[1]) for n, q in qs}
    alpha = b.const("alpha", np.array([[[-90, 10, 60, 127]]], np.int8), scale=0.01, zero_point=0)
    b.op("HARD_SWISH", [t["x"]], [t["hs"]])
    b.op("LEAKY_RELU", [t["hs"]], [t["lr"]], options("LeakyReluOptionsT", alpha=0.1))
    b.op("PRELU", [t["lr"], alpha], [t["pr"]])
    b.op("RELU6", [t["pr"]], [t["r6"]])
    b.op("TANH", [t["r6"]], [t["th"]])
    b.op("LOGISTIC", [t["th"]], [t["lg"]])
    b.op("SOFTMAX", [t["lg"]], [t["sm"]], options("SoftmaxOptionsT", beta=1.0))
    return b.build([t["x"]], [t["sm"]])


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
    used = {k for la in code.layers for k in la["kernels"]}
    if dtype == "int8":
        assert used == {"mcu_lut_s8", "mcu_prelu_s8", "mcu_softmax_s8"}
        assert len(code.layers) == 7
    else:
        assert used == {"mcu_logistic_s16", "mcu_tanh_s16"}
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    info = np.iinfo(np.dtype(dtype))
    x = np.random.default_rng(5).integers(info.min, info.max + 1, (1, 8, 8, 4)).astype(dtype)
    (tmp_path / "in0").write_bytes(x.tobytes())
    out = tmp_path / "out0"
    r = subprocess.run(
        [str(exe), str(tmp_path / "in0"), str(out)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run([x])
    np.testing.assert_array_equal(np.frombuffer(out.read_bytes(), dtype), ref[0].reshape(-1))
