"""int8 SOFTMAX (``mcu_softmax_s8``) against LiteRT BUILTIN_REF (exact).

Covers beta, input scales (including scales where most of a row falls below ``diff_min``), rank
1 to 5, long rows, ties, saturated rows and rows whose sum of exps is just below the reference's
limit (512). Rows whose sum reaches 512 make LiteRT abort; there the C kernel is compared with
the exact 64-bit extension of the reference (``softmax_reference(strict=False)``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.opcheck import check_against_litert
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.errors import UnsupportedError
from mcuai.quant.softmax import softmax_prepare, softmax_reference
from mcuai.targets.host import HostModel, build

pytestmark = [pytest.mark.cc, pytest.mark.ref]

Q = tuple[float, int]


def softmax_model(
    shape: list[int],
    beta: float = 1.0,
    in_q: Q = (0.05, 3),
    out_q: Q = (1 / 256, -128),
    out_dtype: str = "int8",
) -> bytes:
    b = TFLiteBuilder()
    x = b.tensor("x", shape, "int8", scale=in_q[0], zero_point=in_q[1])
    y = b.tensor("y", shape, out_dtype, scale=out_q[0], zero_point=out_q[1])
    b.op("SOFTMAX", [x], [y], options("SoftmaxOptionsT", beta=beta))
    return b.build([x], [y])


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.01])
@pytest.mark.parametrize("in_scale", [0.05, 0.0039, 0.2, 1.0])
def test_softmax_s8_beta_and_scale(
    require_cc: str, tmp_path: Path, beta: float, in_scale: float
) -> None:
    check_against_litert(softmax_model([2, 3, 40], beta, (in_scale, -7)), tmp_path, n=4)


@pytest.mark.parametrize(
    "shape", [[1], [17], [1, 10], [4, 1], [2, 3, 33], [1, 2, 2, 1001], [2, 1, 3, 2, 9]]
)
def test_softmax_s8_shapes(require_cc: str, tmp_path: Path, shape: list[int]) -> None:
    check_against_litert(softmax_model(shape), tmp_path, n=3)


@pytest.mark.parametrize("in_scale", [0.02, 0.1, 0.7])
def test_softmax_s8_many_rows(require_cc: str, tmp_path: Path, in_scale: float) -> None:
    """Thousands of short random rows: many different sums reach the reciprocal (its rounding
    and Newton-Raphson steps), values drawn near the max so that most elements count."""
    rng = np.random.default_rng(7)
    x = (127 - rng.integers(0, 40, (6000, 12))).astype(np.int8)
    x[::2] -= 100
    m = softmax_model([6000, 12], 1.0, (in_scale, 0))
    check_against_litert(m, tmp_path, inputs=[[x]])


def test_softmax_s8_long_rows(require_cc: str, tmp_path: Path) -> None:
    """Rows of 5000 random values (beyond 4096, where a naive int32 sum of exps of a row could
    overflow): with s_in = 1 the sum stays small and LiteRT accepts them."""
    check_against_litert(softmax_model([2, 5000], 1.0, (1.0, 0)), tmp_path, n=2)


def test_softmax_s8_structured_rows(require_cc: str, tmp_path: Path) -> None:
    """Equal values, one-hot peaks, ties at the max, extremes, a ramp through every value."""
    depth = 256
    rows = [
        np.full(depth, 7),
        np.full(depth, -128),
        np.where(np.arange(depth) == 5, 127, -128),
        np.where(np.arange(depth) % 3 == 0, 100, 99),
        np.where(np.arange(depth) < 2, 127, 0),
        np.arange(-128, 128),
        np.arange(127, -129, -1),
        np.tile([127, -128], depth // 2),
    ]
    x = np.stack(rows).astype(np.int8)
    for in_q in [(0.05, 3), (0.5, 0), (0.0039, -128)]:
        m = softmax_model(list(x.shape), 1.0, in_q)
        check_against_litert(m, tmp_path, inputs=[[x]], name=f"s{int(in_q[0] * 1e4)}")


def test_softmax_s8_sum_just_below_limit(require_cc: str, tmp_path: Path) -> None:
    """511 equal values: sum of exps 511 < 512, each output 256/511 -> 1 LSB above -128."""
    x = np.full((2, 511), 7, np.int8)
    check_against_litert(softmax_model([2, 511]), tmp_path, inputs=[[x]])


def run_c(model: bytes, tmp_path: Path, x: np.ndarray) -> np.ndarray:
    path = tmp_path / "sm.tflite"
    path.write_bytes(model)
    code = generate(path, name="sm")
    got, _ = HostModel(code, build(code)).run([x])
    return np.asarray(got[0])


@pytest.mark.parametrize(("depth", "value"), [(512, 7), (600, -3), (5000, 0), (70000, 1)])
def test_softmax_s8_beyond_reference_contract(
    require_cc: str, tmp_path: Path, depth: int, value: int
) -> None:
    """Sum of exps >= 512: LiteRT aborts (TFLITE_CHECK); the kernel saturates the sum and gives
    the exact 64-bit extension's result (-128 everywhere), also where an int32 sum would wrap
    (70000 * 2^19 > 2^31). A row of the same tensor within the contract stays exact."""
    p = softmax_prepare(1.0, 0.05)
    x = np.stack([np.full(depth, value), np.where(np.arange(depth) == 3, 127, -128)])
    x = x.astype(np.int8)
    got = run_c(softmax_model([2, depth]), tmp_path, x)
    ref = softmax_reference(x, p, strict=False)
    np.testing.assert_array_equal(got, ref)
    assert np.all(got[0] == -128)
    np.testing.assert_array_equal(got[1], softmax_reference(x[1], p))


@pytest.mark.parametrize(
    ("out_q", "match"),
    [((1 / 128, -128), "1/256"), ((1 / 256, 0), "zp -128")],
)
def test_softmax_s8_output_quantization_refused(
    require_cc: str, tmp_path: Path, out_q: Q, match: str
) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(softmax_model([1, 10], out_q=out_q))
    with pytest.raises(UnsupportedError, match=match):
        generate(path, name="bad")


def test_softmax_s8_tiny_beta_refused(require_cc: str, tmp_path: Path) -> None:
    """beta * s_in * 2^26 <= 1: QuantizeMultiplierGreaterThanOne fails in the reference."""
    path = tmp_path / "tiny.tflite"
    path.write_bytes(softmax_model([1, 10], beta=1e-7, in_q=(0.01, 0)))
    with pytest.raises(UnsupportedError, match="must be > 1"):
        generate(path, name="tiny")


def test_softmax_int8_to_int16_refused(require_cc: str, tmp_path: Path) -> None:
    path = tmp_path / "s16.tflite"
    path.write_bytes(softmax_model([1, 10], out_q=(1 / 65536, -32768), out_dtype="int16"))
    with pytest.raises(UnsupportedError, match="differ"):
        generate(path, name="s16")
