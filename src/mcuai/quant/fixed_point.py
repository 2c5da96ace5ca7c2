"""TFLite's fixed-point requantization, in Python and vectorised numpy.

A real multiplier ``M > 0`` is stored as a Q31 significand and a power-of-two exponent,
``M = m * 2^(shift - 31)`` with ``m`` in ``[2^30, 2^31)`` (TFLite ``QuantizeMultiplier``: frexp,
then ``round_half_away(q * 2^31)``, renormalised when rounding reaches ``2^31``; multipliers
below ``2^-31`` become 0).

Applying it to an int32 ``x`` (TFLite ``MultiplyByQuantizedMultiplier``, double rounding):

1. ``x << max(shift, 0)`` (left shift for multipliers >= 1; the caller guarantees no overflow),
2. ``SaturatingRoundingDoublingHighMul(x, m)`` = ``(x * m + nudge) >> 31`` computed in 64 bits
   with ``nudge = 2^30`` for a non-negative product and ``1 - 2^30`` otherwise, truncating
   toward zero (round to nearest, ties toward +inf: -0.5 -> 0), saturating the single
   overflow case ``x = m = INT32_MIN``,
3. ``RoundingDivideByPOT(., max(-shift, 0))``: arithmetic shift right rounding half away from
   zero (``mask = 2^e - 1``, ``threshold = mask/2 + (x < 0)``, ``+1`` when the remainder is above
   the threshold).

The C kernels implement exactly these steps (``kernels/mcu_nn.h``); the numpy versions here
serve table generation (LUTs) and tests.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def round_half_away(x: float) -> int:
    """C ``round()``: halves go away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """``real`` (double) -> (int32 significand, shift) as TFLite's ``QuantizeMultiplier``."""
    if real == 0.0:
        return 0, 0
    if real < 0 or not math.isfinite(real):
        raise ValueError(f"multiplier must be finite and non-negative, got {real}")
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    # No clamp of large shifts: TFLite clamps them only in its single-rounding build.
    return int(q_fixed), int(shift)


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` on int32 arrays (result int64 array)."""
    a64 = np.asarray(a, dtype=np.int64)
    b64 = np.asarray(b, dtype=np.int64)
    overflow = (a64 == INT32_MIN) & (b64 == INT32_MIN)
    ab = a64 * b64
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C++ integer division truncates toward zero: (ab + nudge) / 2^31
    res = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where(overflow, INT32_MAX, res)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp ``RoundingDivideByPOT``: ``x / 2^exponent`` rounding half away from zero."""
    x64 = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x64 & mask
    threshold = (mask >> 1) + (x64 < 0)
    return (x64 >> e) + (remainder > threshold)


def multiply_by_quantized_multiplier(
    x: np.ndarray | int, multiplier: np.ndarray | int, shift: np.ndarray | int
) -> np.ndarray:
    """TFLite ``MultiplyByQuantizedMultiplier`` (double rounding) on int32 values."""
    sh = np.asarray(shift, dtype=np.int64)
    left = np.maximum(sh, 0)
    right = np.maximum(-sh, 0)
    x64 = np.asarray(x, dtype=np.int64) << left
    x32 = ((x64 + (1 << 31)) % (1 << 32)) - (1 << 31)  # int32 wrap, as the C code would
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x32, multiplier), right)
