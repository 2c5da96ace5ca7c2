"""8-bit SOFTMAX emulation (mcuai.quant.softmax) against the TFLite reference kernel."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.quant.softmax import (
    SoftmaxParams,
    softmax_float,
    softmax_prepare,
    softmax_reference,
)

INT32_MAX = (1 << 31) - 1


def _model(
    dtype: str,
    shape: tuple[int, ...],
    beta: float,
    in_q: tuple[float, int],
    out_q: tuple[float, int],
) -> bytes:
    b = TFLiteBuilder()
    x = b.tensor("x", list(shape), dtype, scale=in_q[0], zero_point=in_q[1])
    y = b.tensor("y", list(shape), dtype, scale=out_q[0], zero_point=out_q[1])
    b.op("SOFTMAX", [x], [y], options("SoftmaxOptionsT", beta=beta))
    return b.build([x], [y])


def _litert(model: bytes, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return np.asarray(it.get_tensor(it.get_output_details()[0]["index"])).copy()


def _rows(dtype: str, depth: int, rng: np.random.Generator) -> np.ndarray:
    """Random rows plus the edge cases: all equal (three levels), one max, full range ramp,
    values crowded near the top, and two maxima."""
    info = np.iinfo(np.dtype(dtype))
    lo, hi = int(info.min), int(info.max)
    rows = [
        rng.integers(lo, hi + 1, size=depth),
        rng.integers(lo, hi + 1, size=depth),
        rng.integers(hi - 12, hi + 1, size=depth),
        rng.integers(lo + 100, lo + 140, size=depth),
        np.full(depth, lo),
        np.full(depth, hi),
        np.full(depth, (lo + hi) // 2),
        np.linspace(lo, hi, depth).round(),
    ]
    one_max = np.full(depth, lo)
    one_max[depth // 3] = hi
    rows.append(one_max)
    two_max = rng.integers(lo, hi - 40, size=depth)
    two_max[0] = two_max[-1] = hi
    rows.append(two_max)
    return np.stack(rows).astype(dtype)


def _accepted(x: np.ndarray, p: SoftmaxParams) -> np.ndarray:
    """The rows the reference does not abort on (see the module docstring)."""
    keep = []
    for row in x:
        try:
            softmax_reference(row, p)
        except ValueError:
            continue
        keep.append(row)
    return np.stack(keep) if keep else x[:0]


# ------------------------------------------------------------------------------------------
# Pure tests
# ------------------------------------------------------------------------------------------


def test_prepare_values() -> None:
    p = softmax_prepare(1.0, 0.1)
    # float32(0.1) * 2^26 = 0.8000000119 * 2^23 -> significand round(0.8000000119 * 2^31)
    frac, shift = math.frexp(float(np.float32(0.1)) * 2**26)
    assert (
        (p.input_multiplier, p.input_left_shift)
        == (round(frac * 2**31), 23)
        == (
            1717986944,
            shift,
        )
    )
    assert p.diff_min == -((31 << 26) >> 23)  # floor(31 * 2^26 / 2^23) = 248
    assert p.exp_table.dtype == np.int32 and p.exp_table.shape == (256,)
    assert p.exp_table[0] == INT32_MAX
    assert np.all(np.diff(p.exp_table.astype(np.int64)) <= 0)
    assert np.all(p.exp_table[249:] == 0) and p.exp_table[248] >= 0
    # the table is exp(-0.1 k) in Q0.31
    k = np.arange(60)
    np.testing.assert_allclose(p.exp_table[:60] / 2**31, np.exp(-0.1 * k), atol=1e-6)


def test_prepare_caps_large_multiplier() -> None:
    """50 * 2^26 > 2^31 - 1: capped to 2^31 - 1, i.e. significand 2^31 - 1 with shift 31
    (QuantizeMultiplier does not clamp the shift in the double-rounding build), so
    diff_min = -floor(31 * 2^26 / 2^31) = 0: only the maxima of a row count."""
    p = softmax_prepare(100.0, 0.5)
    assert (p.input_multiplier, p.input_left_shift) == (INT32_MAX, 31)
    assert p.diff_min == 0
    assert p.exp_table[0] == INT32_MAX and not p.exp_table[1:].any()
    y = softmax_reference(np.array([[3, 2, 3, -100]], np.int8), p)
    assert y.tolist() == [[0, -128, 0, -128]]


def test_prepare_rejections() -> None:
    with pytest.raises(ValueError, match="1/256"):
        softmax_prepare(1.0, 0.1, 1 / 128, -128)
    with pytest.raises(ValueError, match="1/256"):
        softmax_prepare(1.0, 0.1, 1 / 256, 0)
    softmax_prepare(1.0, 0.1, 1 / 256 * 1.0009, -128)  # within the reference's tolerance
    softmax_prepare(1.0, 0.1, 0.5, 77, "uint8")  # uint8 output params are not checked


def test_reference_close_to_float_and_sums_to_one() -> None:
    rng = np.random.default_rng(0)
    p = softmax_prepare(1.0, 0.05)
    x = rng.integers(-128, 128, size=(50, 10)).astype(np.int8)
    y = softmax_reference(x, p).astype(np.int64)
    ideal = softmax_float(x, 1.0, 0.05) * 256 - 128
    assert np.abs(y - ideal).max() <= 1.0
    assert np.abs((y + 128).sum(axis=1) - 256).max() <= 10


def test_single_element_and_shapes() -> None:
    p = softmax_prepare(1.0, 0.1)
    assert softmax_reference(np.array([5], np.int8), p).tolist() == [127]
    x = np.arange(-128, 128, dtype=np.int8).reshape(2, 4, 32)
    y = softmax_reference(x, p)
    assert y.shape == x.shape and y.dtype == np.int8
    np.testing.assert_array_equal(y[1, 3], softmax_reference(x[1, 3], p))


def test_abort_region_is_reported() -> None:
    p = softmax_prepare(1.0, 0.1)
    ok = softmax_reference(np.full(511, 7, np.int8), p)
    assert np.all(ok == -127)  # 256 / 511 = 0.5 -> rounds up to 1 LSB
    with pytest.raises(ValueError, match="aborts"):
        softmax_reference(np.full(512, 7, np.int8), p)
    big = softmax_reference(np.full(4096, 7, np.int8), p, strict=False)
    assert np.all(big == -128)  # 256 / 4096 rounds to 0
    y = softmax_reference(np.full(600, 7, np.int8), p, strict=False)
    assert np.all(y == -128 + round(256 / 600))


def test_uint8() -> None:
    p = softmax_prepare(1.0, 0.1, dtype="uint8")
    assert p.out_min == 0
    y = softmax_reference(np.array([[0, 255]], np.uint8), p)
    assert y.dtype == np.uint8 and y.tolist() == [[0, 255]]


# ------------------------------------------------------------------------------------------
# LiteRT BUILTIN_REF
# ------------------------------------------------------------------------------------------

SCALES = [0.004, 0.02, 0.0625, 0.1, 0.25, 0.5, 2.0]


@pytest.mark.ref
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("depth", [1, 2, 10, 100, 1000])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.7, 100.0])
def test_matches_litert(dtype: str, depth: int, beta: float) -> None:
    rng = np.random.default_rng(depth * 1000 + int(beta * 10))
    zp_out = -128 if dtype == "int8" else 0
    errors, tested = [], 0
    for scale in SCALES:
        p = softmax_prepare(beta, scale, 1 / 256, zp_out, dtype)  # type: ignore[arg-type]
        x = _accepted(_rows(dtype, depth, rng), p)
        if len(x) == 0:
            continue
        ref = _litert(_model(dtype, x.shape, beta, (scale, 3), (1 / 256, zp_out)), x)
        got = softmax_reference(x, p)
        tested += len(x)
        if not np.array_equal(ref, got):
            d = np.abs(ref.astype(np.int64) - got.astype(np.int64))
            errors.append(f"{scale=}: {np.count_nonzero(d)} differ, max {d.max()} LSB")
    assert not errors, "\n".join(errors)
    assert tested > 0


@pytest.mark.ref
def test_uint8_output_quantization_is_ignored_by_litert() -> None:
    x = np.array([[0, 10, 200, 255]], np.uint8)
    p = softmax_prepare(1.0, 0.05, 0.5, 77, "uint8")
    ref = _litert(_model("uint8", x.shape, 1.0, (0.05, 0), (0.5, 77)), x)
    np.testing.assert_array_equal(ref, softmax_reference(x, p))


@pytest.mark.ref
def test_random_scales_and_betas() -> None:
    rng = np.random.default_rng(42)
    errors = []
    for _ in range(150):
        scale = float(np.float32(10 ** rng.uniform(-3, 0.5)))
        beta = float(np.float32(10 ** rng.uniform(-1, 1)))
        depth = int(rng.integers(2, 300))
        p = softmax_prepare(beta, scale)
        x = _accepted(_rows("int8", depth, rng), p)
        if len(x) == 0:
            continue
        ref = _litert(_model("int8", x.shape, beta, (scale, -7), (1 / 256, -128)), x)
        if not np.array_equal(ref, softmax_reference(x, p)):
            errors.append(f"{scale=} {beta=} {depth=}")
    assert not errors, "\n".join(errors)


@pytest.mark.ref
def test_litert_aborts_where_we_raise(tmp_path: Path) -> None:
    """512 equal values: sum of exps = 512, exponent 32 > 31, TFLITE_CHECK aborts."""
    path = tmp_path / "softmax512.tflite"
    path.write_bytes(_model("int8", (1, 512), 1.0, (0.1, 0), (1 / 256, -128)))
    code = textwrap.dedent(
        f"""
        import numpy as np
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
        it = Interpreter(model_path={str(path)!r},
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], np.full((1, 512), 7, np.int8))
        it.invoke()
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert r.returncode != 0
    with pytest.raises(ValueError):
        softmax_reference(np.full((1, 512), 7, np.int8), softmax_prepare(1.0, 0.1))


@pytest.mark.ref
def test_matches_tflite_micro() -> None:
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
    rng = np.random.default_rng(9)
    for depth in (2, 10, 300):
        for beta, scale in [(1.0, 0.004), (1.0, 0.0625), (2.7, 0.5), (100.0, 0.1)]:
            p = softmax_prepare(beta, scale)
            x = _accepted(_rows("int8", depth, rng), p)
            model = _model("int8", x.shape, beta, (scale, 0), (1 / 256, -128))
            it = runtime.Interpreter.from_bytes(model, arena_size=64 * 1024)
            it.set_input(x, 0)
            it.invoke()
            np.testing.assert_array_equal(it.get_output(0), softmax_reference(x, p))
