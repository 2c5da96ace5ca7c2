"""Exact emulation of the TFLite reference 8-bit SOFTMAX, table driven.

Rule (LiteRT ``SoftmaxPrepare<kReference>`` + ``reference_ops::Softmax<InputT, OutputT>`` in
``reference/softmax.h``; TFLite Micro's ``CalculateSoftmaxParams`` + the same
``reference_ops::Softmax``), for int8/uint8 input and int8/uint8 output:

Prepare (once, at generation time):
  ``PreprocessSoftmaxScaling(beta, s_in, 5)``: real multiplier
  ``min(beta * s_in * 2^26, 2^31 - 1)`` (double) -> ``QuantizeMultiplierGreaterThanOne``
  -> ``(input_multiplier, input_left_shift)``; ``diff_min = -CalculateInputRadius(5, shift)``
  = ``-floor(31 * 2^26 / 2^shift)``.

Per row (``depth`` values along the last axis):
  1. ``max`` of the row; each element's ``diff = x - max`` is in [-255, 0].
  2. Elements with ``diff >= diff_min`` get
     ``e = exp_on_negative_values<5>(SRDHM(diff << shift, multiplier))`` (gemmlowp, Q5.26 in,
     Q0.31 out); the others are skipped (output = qmin). ``e`` depends only on ``diff``, so
     :func:`softmax_prepare` tabulates it: ``exp_table[-diff]`` (int32, 0 where skipped; a zero
     entry gives exactly the skipped element's output and adds 0 to the sum).
  3. ``sum = sum(RoundingDivideByPOT(e, 12))``: Q12.19, plain int32 adds (gemmlowp ``+``).
  4. ``GetReciprocal(sum, 12)``: ``h = clz32(sum)``, ``num_bits_over_unit = 12 - h``,
     ``scale = one_over_one_plus_x_for_x_in_0_1((uint32)sum << h - 2^31)`` (Q0.31).
  5. ``exponent = num_bits_over_unit + 31 - bits(OutputT)``, which the reference
     ``TFLITE_CHECK``s to be in [0, 31].
  6. ``y = RoundingDivideByPOT(SRDHM(scale, e), exponent) + qmin(OutputT)``, clamped; skipped
     elements give ``qmin``.

The output is ``round(p * 256) + qmin`` whatever the output tensor's quantization says: LiteRT
requires ``s_out ~ 1/256`` and ``zp_out = -128`` for int8 (checked here) but checks nothing for
uint8 (the result then assumes scale 1/256 and zero point 0).

int32 overflow and range. The max element always contributes ``exp(0) = 2^31 - 1``, i.e.
``2^19`` after step 3, so ``sum >= 2^19`` (``h <= 12``, ``num_bits_over_unit >= 0``). Each term
is at most ``2^19``, so ``sum <= depth * 2^19`` and int32 cannot overflow for ``depth <= 4095``.
But step 5 requires ``exponent <= 31``, i.e. ``num_bits_over_unit <= 8``, i.e. ``sum < 2^28``
(the real sum of exps below 512): a row whose sum reaches 512 (only possible when
``depth >= 512``, e.g. 512 equal values) makes the reference *abort* (TFLITE_CHECK). In every
row the reference accepts, ``sum < 2^28`` and no int32 overflow can occur, whatever ``depth``;
a C kernel can accumulate in int32 as long as it stops (or saturates) once the sum reaches
2^28 and treats that row as the out-of-contract case. :func:`softmax_reference` raises there by
default; ``strict=False`` continues with an exact 64-bit extension (sum in int64, shift > 31).

int16 softmax (``SoftmaxInt16``, two 513-entry float-populated LUTs) is not emulated here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcuai.quant.fixed_point import (
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from mcuai.quant.lut import (
    Dtype,
    calculate_input_radius,
    exp_on_negative_values,
    one_over_one_plus_x_for_x_in_0_1,
    qrange,
    quantize_multiplier_signed,
)

__all__ = ["SoftmaxParams", "softmax_prepare", "softmax_reference"]

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


@dataclass(frozen=True)
class SoftmaxParams:
    """What the C kernel needs. ``exp_table[k]`` (int32, 256 entries) is the Q0.31
    ``exp(beta * s_in * -k)`` of the reference for ``diff = -k``, 0 where ``-k < diff_min``."""

    input_multiplier: int
    input_left_shift: int
    diff_min: int
    exp_table: np.ndarray
    dtype: Dtype

    @property
    def out_min(self) -> int:
        """The constant added to the result: ``numeric_limits<OutputT>::min()``."""
        return qrange(self.dtype)[0]


def softmax_prepare(
    beta: float,
    in_scale: float,
    out_scale: float = 1.0 / 256,
    out_zp: int = -128,
    dtype: Dtype = "int8",
) -> SoftmaxParams:
    """``SoftmaxPrepare<kReference>`` for 8-bit input and output of the same type.

    ``beta`` and ``in_scale`` are float32 in the model; they are widened to double as in
    ``PreprocessSoftmaxScaling``. For int8 the reference rejects ``zp_out != -128`` or
    ``|s_out - 1/256| > 0.001/256`` (float32 compare); uint8 outputs are not checked.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"8-bit softmax wanted, got dtype {dtype!r}")
    if dtype == "int8":
        delta = abs(np.float32(out_scale) - np.float32(1.0 / 256))
        if out_zp != -128 or delta > np.float32(np.float32(0.001) * np.float32(1.0 / 256)):
            raise ValueError(f"int8 SOFTMAX needs output scale 1/256 and zp -128; got {out_scale}")
    real = float(np.float32(beta)) * float(np.float32(in_scale))
    real = min(real * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(
            f"SOFTMAX: beta * input_scale * 2^26 = {real} must be > 1 "
            "(QuantizeMultiplierGreaterThanOne fails in the reference)"
        )
    multiplier, shift = quantize_multiplier_signed(real)
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift, 31)
    diffs = -np.arange(256, dtype=np.int64)
    # MultiplyByQuantizedMultiplierGreaterThanOne: SRDHM(diff * 2^shift, m); no overflow since
    # |diff| <= radius = floor(31 * 2^26 / 2^shift) for the values kept.
    kept = diffs >= diff_min
    rescaled = saturating_rounding_doubling_high_mul(np.where(kept, diffs, 0) << shift, multiplier)
    table = np.where(kept, exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS), 0)
    return SoftmaxParams(multiplier, shift, int(diff_min), table.astype(np.int32), dtype)


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Exact bit length of non-negative int64 values (``32 - clz32`` for uint32 values)."""
    y = np.asarray(x, dtype=np.int64).copy()
    n = np.zeros(y.shape, dtype=np.int64)
    for step in (32, 16, 8, 4, 2, 1):
        big = y >= (1 << step)
        n = np.where(big, n + step, n)
        y = np.where(big, y >> step, y)
    return n + (y > 0)


def softmax_reference(x: np.ndarray, params: SoftmaxParams, *, strict: bool = True) -> np.ndarray:
    """8-bit softmax along the last axis of ``x`` (int8 or uint8, matching ``params.dtype``),
    bit-exact with the reference; uses only ``params`` (table + integer steps, see the module
    docstring for the C-portable algorithm).

    ``strict=False`` also computes the rows the reference aborts on (sum of exps >= 512), with
    the sum in 64 bits, the reciprocal of its top 32 bits and a right shift that may exceed 31.
    """
    lo, hi = qrange(params.dtype)
    xs = np.asarray(x, dtype=np.int64)
    if xs.ndim == 0 or xs.shape[-1] == 0:
        raise ValueError("softmax needs at least one element per row")
    if xs.min() < lo or xs.max() > hi:
        raise ValueError(f"input values outside the {params.dtype} range")
    k = xs.max(axis=-1, keepdims=True) - xs  # -diff, in [0, 255]
    e = params.exp_table.astype(np.int64)[k]  # Q0.31, 0 for skipped elements
    total = rounding_divide_by_pot(e, ACCUMULATION_INTEGER_BITS).sum(axis=-1, keepdims=True)
    if strict and np.any(total >= (1 << 28)):
        raise ValueError(
            "softmax row with a sum of exps >= 512: the reference aborts "
            "(TFLITE_CHECK exponent <= 31); use strict=False for the 64-bit extension"
        )
    # GetReciprocal(total, 12): headroom_plus_one = clz32(total) = 32 - bit_length
    bl = _bit_length(total)
    normalized = np.where(
        bl <= 32, total << np.maximum(32 - bl, 0), total >> np.maximum(bl - 32, 0)
    )
    scale = one_over_one_plus_x_for_x_in_0_1(normalized - (1 << 31))
    num_bits_over_unit = ACCUMULATION_INTEGER_BITS - (32 - bl)
    exponent = num_bits_over_unit + 31 - 8
    prod = saturating_rounding_doubling_high_mul(scale, e)
    y = rounding_divide_by_pot(prod, exponent) + lo
    y = np.where(-k >= params.diff_min, y, lo)
    out: np.ndarray = np.clip(y, lo, hi).astype(np.dtype(params.dtype))
    return out


def softmax_float(x: np.ndarray, beta: float, in_scale: float) -> np.ndarray:
    """Real-valued softmax of the dequantized input (for tests and reports)."""
    z = (np.asarray(x, dtype=np.float64)) * beta * in_scale
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return np.asarray(p / p.sum(axis=-1, keepdims=True))
