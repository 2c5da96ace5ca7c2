"""QUANTIZE and DEQUANTIZE against LiteRT BUILTIN_REF, bit for bit.

* float32 -> int8 / uint8 / int16 (per tensor and per axis): ties of ``x / scale`` (the division
  must be a float32 division, not a multiplication by 1/scale, and round half away from zero),
  saturation, +-inf (saturating; LiteRT on x86 differs there: undefined int32 conversion).
* int -> int requantization for every pair LiteRT accepts (same scale, larger / smaller scale,
  int8 <-> uint8 with zero points 128 apart), int8 -> int16 (TFLite Micro only) against numpy.
* int8 / uint8 / int16 -> float32 (per tensor and per axis): equality of the float32 bits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.opcheck import check_against_litert, litert_reference, litert_run
from helpers.tflite_builder import TFLiteBuilder
from mcuai.api import generate
from mcuai.quant.fixed_point import multiply_by_quantized_multiplier, quantize_multiplier
from mcuai.targets.host import HostModel, build

pytestmark = [pytest.mark.cc, pytest.mark.ref]

NP = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16}


def single_op(
    op: str,
    shape: list[int],
    in_t: tuple[str, float | list[float] | None, int | list[int] | None],
    out_t: tuple[str, float | list[float] | None, int | list[int] | None],
    axis: int = 0,
) -> bytes:
    b = TFLiteBuilder()
    x = b.tensor("x", shape, in_t[0], scale=in_t[1], zero_point=in_t[2], axis=axis)
    y = b.tensor("y", shape, out_t[0], scale=out_t[1], zero_point=out_t[2], axis=axis)
    b.op(op, [x], [y])
    return b.build([x], [y])


def run_both(
    model: bytes, tmp_path: Path, inputs: list[np.ndarray], name: str = "op"
) -> tuple[np.ndarray, np.ndarray]:
    """Output 0 of the generated C and of LiteRT BUILTIN_REF."""
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    code = generate(path, name=name)
    got, _ = HostModel(code, build(code)).run(inputs)
    ref = litert_run(litert_reference(path), inputs)
    assert got[0].dtype == ref[0].dtype and got[0].shape == ref[0].shape
    return got[0], ref[0]


def run_c(model: bytes, tmp_path: Path, inputs: list[np.ndarray], name: str = "op") -> np.ndarray:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    code = generate(path, name=name)
    got, _ = HostModel(code, build(code)).run(inputs)
    return got[0]


def assert_same_bits(got: np.ndarray, ref: np.ndarray) -> None:
    """Equality of the bit patterns (also distinguishes -0.0 from 0.0)."""
    g = got.view(np.uint32) if got.dtype == np.float32 else got
    r = ref.view(np.uint32) if ref.dtype == np.float32 else ref
    bad = np.argwhere(g != r)
    assert bad.size == 0, (
        f"{len(bad)}/{g.size} elements differ, first at {bad[0].tolist()}: "
        f"{got[tuple(bad[0])]!r} vs {ref[tuple(bad[0])]!r}"
    )


def near_ties(scale: float, n: int, rng: np.random.Generator, span: int = 200) -> np.ndarray:
    """Floats within 2 ulp of (k + 1/2) * scale: many exact ties of x / scale in float32, and
    many values where x / scale and x * (1 / scale) round differently."""
    s = np.float32(scale)
    x = ((rng.integers(-span, span, n) + 0.5) * s).astype(np.float32)
    return (x.view(np.int32) + rng.integers(-2, 3, n).astype(np.int32)).view(np.float32)


def round_half_away(v: np.ndarray) -> np.ndarray:
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


# ---- float -> integer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "scale", "zp"),
    [
        ("int8", 0.1, -3),
        ("int8", 0.0123, 10),
        ("int8", 0.25, 0),  # power of two: x / s is exact, ties are exact halves
        ("uint8", 1 / 255, 0),
        ("uint8", 0.05, 128),
        ("int16", 3e-4, 0),
        ("int16", 0.3, 0),
    ],
)
def test_quantize_float_ties(
    tmp_path: Path, require_cc: str, dtype: str, scale: float, zp: int
) -> None:
    n = 4096
    rng = np.random.default_rng(1)
    x = near_ties(scale, n, rng).reshape(1, n)
    m = single_op("QUANTIZE", [1, n], ("float32", None, None), (dtype, scale, zp))
    got, ref = run_both(m, tmp_path, [x])
    assert_same_bits(got, ref)
    s = np.float32(scale)
    ties = np.count_nonzero((x / s) % 1 == 0.5)
    assert ties > n // 10, "the inputs must hold many exact ties"
    # A kernel that multiplied by 1/scale would fail (except for a power-of-two scale).
    info = np.iinfo(NP[dtype])
    mul = np.clip(round_half_away(x * (np.float32(1) / s)) + zp, info.min, info.max)
    if scale != 0.25:
        assert np.count_nonzero(mul != ref) > 0


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_quantize_float_saturation(tmp_path: Path, require_cc: str, dtype: str) -> None:
    zp = {"int8": 5, "uint8": 100, "int16": 0}[dtype]
    scale = 0.02
    # |x / s| up to 1e9 (< 2^31: the range where LiteRT's int32 conversion is defined)
    x = np.array(
        [
            0.0,
            -0.0,
            1e-30,
            2.55,
            -2.57,
            2.6,
            -2.6,
            600.0,
            -600.0,
            1e6,
            -1e6,
            2e7,
            -2e7,
            0.01,
            -0.01,
            0.03,
            -0.03,
            655.35,
            -655.37,
            655.4,
            -655.4,
            5.1,
            5.09,
        ],
        np.float32,
    ).reshape(1, -1)
    m = single_op("QUANTIZE", list(x.shape), ("float32", None, None), (dtype, scale, zp))
    got, ref = run_both(m, tmp_path, [x])
    assert_same_bits(got, ref)


def test_quantize_float_non_finite(tmp_path: Path, require_cc: str) -> None:
    """Outside LiteRT's defined range the kernel saturates (as the reference on Arm): +inf and
    huge values -> qmax, -inf -> qmin, NaN -> the zero point. LiteRT on x86 returns qmin for all
    of them (out-of-range float -> int32 conversion), so this is checked without it."""
    x = np.array([[np.inf, -np.inf, np.nan, 1e10, -1e10, 3e38, -3e38]], np.float32)
    m = single_op("QUANTIZE", [1, 7], ("float32", None, None), ("int8", 0.25, 3))
    got = run_c(m, tmp_path, [x])
    assert got.tolist() == [[127, -128, 3, 127, -128, 127, -128]]


@pytest.mark.parametrize(("shape", "axis"), [([2, 3, 4, 5], 3), ([2, 3, 4, 5], 1), ([6, 7], 0)])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_quantize_float_per_axis(
    tmp_path: Path, require_cc: str, shape: list[int], axis: int, dtype: str
) -> None:
    rng = np.random.default_rng(axis)
    ch = shape[axis]
    scales = [float(v) for v in rng.uniform(0.003, 0.05, ch)]
    if dtype == "int8":
        zps = [int(v) for v in rng.integers(-20, 20, ch)]
    elif dtype == "uint8":
        zps = [int(v) for v in rng.integers(100, 150, ch)]
    else:
        zps = [0] * ch
    m = single_op("QUANTIZE", shape, ("float32", None, None), (dtype, scales, zps), axis=axis)
    x = rng.uniform(-3, 3, shape).astype(np.float32)
    x.reshape(-1)[::3] = near_ties(scales[0], x.size, rng)[::3]
    got, ref = run_both(m, tmp_path, [x])
    assert_same_bits(got, ref)


# ---- integer -> integer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (("int8", 0.05, -3), ("int8", 0.05, -3)),  # same parameters
        (("int8", 0.05, -3), ("int8", 0.05, 7)),  # same scale, zero point shift
        (("int8", 0.05, -3), ("int8", 0.0173, 11)),  # ratio > 1, saturates
        (("int8", 0.0173, 11), ("int8", 0.05, -3)),  # ratio < 1, rounding ties
        (("int8", 0.02, 0), ("int8", 0.08, 0)),  # ratio 1/4: exact ties of x/4
        (("int8", 0.05, -3), ("uint8", 0.05, 125)),  # int8 -> uint8: XOR 0x80 path
        (("int8", 0.05, -3), ("uint8", 0.031, 130)),
        (("uint8", 0.05, 131), ("int8", 0.05, 3)),  # uint8 -> int8: XOR 0x80 path
        (("uint8", 1 / 255, 0), ("int8", 0.01, -20)),
        (("uint8", 0.05, 128), ("uint8", 0.07, 120)),
        (("int16", 0.001, 0), ("int8", 0.05, -5)),
        (("int16", 0.001, 0), ("int8", 1e-4, 0)),  # int16 -> int8, saturating
        (("int16", 0.001, 0), ("int16", 0.00033, 0)),
        (("int16", 0.00033, 0), ("int16", 0.004, 0)),
    ],
)
def test_requantize(
    tmp_path: Path,
    require_cc: str,
    src: tuple[str, float, int],
    dst: tuple[str, float, int],
) -> None:
    info = np.iinfo(NP[src[0]])
    if src[0] == "int16":
        x = np.random.default_rng(2).integers(info.min, info.max + 1, 4096).astype(np.int16)
        x[:2] = (info.min, info.max)
    else:
        x = np.arange(info.min, info.max + 1).astype(NP[src[0]])
    x = x.reshape(1, -1)
    m = single_op("QUANTIZE", list(x.shape), src, dst)
    got, ref = run_both(m, tmp_path, [x])
    assert_same_bits(got, ref)


def test_requantize_int8_to_int16(tmp_path: Path, require_cc: str) -> None:
    """LiteRT refuses int8 -> int16 (TFLite Micro has it); the kernel applies the same rule,
    checked against mcuai.quant.fixed_point."""
    s_in, zp_in, s_out = 0.05, -3, 0.0002
    x = np.arange(-128, 128).astype(np.int8).reshape(1, -1)
    m = single_op("QUANTIZE", [1, 256], ("int8", s_in, zp_in), ("int16", s_out, 0))
    got = run_c(m, tmp_path, [x])
    mult, shift = quantize_multiplier(float(np.float32(s_in)) / float(np.float32(s_out)))
    want = multiply_by_quantized_multiplier(x.astype(np.int64) - zp_in, mult, shift)
    assert np.array_equal(got, np.clip(want, -32768, 32767).astype(np.int16))


# ---- integer -> float ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "scale", "zp"),
    [
        ("int8", 0.1, -3),
        ("int8", 0.0123456, 127),
        ("int8", 3.7e-6, -128),
        ("uint8", 1 / 255, 0),
        ("uint8", 0.0713, 131),
        ("int16", 3.0517578e-05, 0),
        ("int16", 0.00123, 0),
    ],
)
def test_dequantize(tmp_path: Path, require_cc: str, dtype: str, scale: float, zp: int) -> None:
    info = np.iinfo(NP[dtype])
    x = np.arange(info.min, info.max + 1).astype(NP[dtype])
    x = x.reshape(1, -1) if x.size <= 256 else x.reshape(256, -1)
    m = single_op("DEQUANTIZE", list(x.shape), (dtype, scale, zp), ("float32", None, None))
    got, ref = run_both(m, tmp_path, [x])
    assert_same_bits(got, ref)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_dequantize_per_axis(tmp_path: Path, require_cc: str, dtype: str) -> None:
    rng = np.random.default_rng(4)
    shape, axis = [2, 3, 4, 5], 2
    scales = [float(v) for v in rng.uniform(0.001, 0.1, 4)]
    zps = {"int8": [-3, 0, 5, 127], "uint8": [0, 128, 255, 7], "int16": [0, 0, 0, 0]}[dtype]
    m = single_op("DEQUANTIZE", shape, (dtype, scales, zps), ("float32", None, None), axis=axis)
    if dtype != "int16":
        check_against_litert(m, tmp_path, n=3)  # exact (rtol = atol = 0) for the float output
        return
    # LiteRT: "Type 7 not supported for per-channel"; the reference's rule in numpy instead
    info = np.iinfo(np.int16)
    x = rng.integers(info.min, info.max + 1, shape).astype(np.int16)
    got = run_c(m, tmp_path, [x])
    s64 = np.asarray(scales, np.float32).astype(np.float64).reshape(1, 1, 4, 1)
    want = (s64 * (x.astype(np.float64) - np.reshape(zps, (1, 1, 4, 1)))).astype(np.float32)
    assert_same_bits(got, want)


def test_quantize_dequantize_chain(tmp_path: Path, require_cc: str) -> None:
    """float -> int8 -> float -> uint8 through a small graph (a mixed model's boundary)."""
    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4, 4, 3], "float32")
    q = b.tensor("q", [1, 4, 4, 3], "int8", scale=0.011, zero_point=-7)
    f = b.tensor("f", [1, 4, 4, 3], "float32")
    u = b.tensor("u", [1, 4, 4, 3], "uint8", scale=0.009, zero_point=120)
    b.op("QUANTIZE", [x], [q])
    b.op("DEQUANTIZE", [q], [f])
    b.op("QUANTIZE", [f], [u])
    m = b.build([x], [u, f])
    check_against_litert(m, tmp_path, n=4)
