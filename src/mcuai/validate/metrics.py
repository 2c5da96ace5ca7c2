"""Error metrics of one output (or one layer), exactly as DESIGN §3 defines them.

``p`` is the prediction (the C model's output), ``r`` the reference (the original runtime's
output, or ground truth), both dequantized to real values and flattened over all samples
(``E`` elements in total):

=========  =====================================================================
rmse       ``sqrt(mean((p - r)^2))``
mae        ``mean(|p - r|)``
mean       ``mean(p - r)``
std        ``std(p - r, ddof=1)``
nse        ``1 - mean((p - r)^2) / var(r, ddof=1)``
l2r        ``||p - r|| / ||p||``
cos        ``<p, r> / (||p|| ||r||)``
acc        share of samples with ``argmax p == argmax r`` (classifiers only)
bit_exact  share of elements with ``p == r`` in raw integers (integer vs integer), or with
           identical bits (float vs float of one dtype, when the caller asks: a float output
           that is the exact conversion of an integer result)
max_lsb    largest ``|p - r|`` in raw integer units (integer vs integer only)
=========  =====================================================================

Degenerate cases: when a metric's denominator is zero (``var(r) = 0`` or a single element for
nse, ``||p|| = 0`` for l2r, ``||p|| = 0`` or ``||r|| = 0`` for cos, a single element for std),
the metric is the value of perfect agreement if ``p`` and ``r`` are equal element for element
(nse 1, l2r 0, cos 1, std 0), and otherwise NaN, shown as ``n/a`` (:func:`format_metric`) and
written as ``null`` in JSON. No numpy warning is emitted. Non-finite values in ``p`` or ``r``
(float outputs) are counted in ``nonfinite`` and make the affected metrics NaN.

Classifiers: an output whose shape, without a leading batch dimension of 1, has exactly one
dimension larger than 1 (:func:`~mcuai.validate.data.is_classifier_shape`), unless the caller
says otherwise with ``is_classifier``. ``argmax`` is taken per sample over the dequantized values
(for a per-tensor quantized output, the same as over the raw integers); ties go to the first
index, as ``numpy.argmax``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mcuai.ir import Tensor
from mcuai.validate.data import dequantize, is_classifier_shape

__all__ = ["Metrics", "compute_metrics", "format_metric"]


@dataclass(frozen=True)
class Metrics:
    """Metrics of one tensor; see the module doc for definitions and degenerate cases."""

    tensor: str
    samples: int
    elements: int
    rmse: float
    mae: float
    mean: float
    std: float
    nse: float
    l2r: float
    cos: float
    acc: float | None  # None: not a classifier
    bit_exact: float | None  # None: not integer vs integer (nor float vs float on request)
    max_lsb: int | None  # None: not integer vs integer
    nonfinite: int  # elements where p or r is NaN or infinite

    def to_json(self) -> dict[str, Any]:
        """A dict of JSON values with a stable set of keys (NaN becomes None/``null``)."""
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            out[k] = None if isinstance(v, float) and not math.isfinite(v) else v
        return out


def format_metric(value: float | int | None, digits: int = 6) -> str:
    """Text for a report cell: ``n/a`` for None and NaN, else ``digits`` significant digits."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "n/a"
    return f"{value:.{digits}g}"


def _ratio(num: float, den: float, perfect: float, equal: bool) -> float:
    """``num / den``; for ``den == 0``: ``perfect`` when p equals r, else NaN."""
    if den != 0 or math.isnan(den):
        return num / den
    return perfect if equal else math.nan


def _is_int(a: np.ndarray) -> bool:
    return a.dtype.kind in "iub"


def compute_metrics(
    pred: np.ndarray,
    ref: np.ndarray,
    tensor: Tensor,
    is_classifier: bool | None = None,
    exact_floats: bool = False,
) -> Metrics:
    """Compare ``pred`` with ``ref``, both ``[N, ...]`` arrays holding ``N`` samples of
    ``tensor`` (the batched layout of :mod:`mcuai.validate.data`).

    Each array may hold raw values in the tensor's dtype (dequantized with its quantization) or
    real values (float, e.g. ground truth from :func:`~mcuai.validate.load_ground_truth`);
    ``bit_exact`` and ``max_lsb`` are computed only when both hold integers. ``is_classifier``
    None applies the shape rule of the module doc. ``exact_floats``: for two float arrays of
    one dtype, ``bit_exact`` is the share of elements with identical bits. Raises ValueError
    when the arrays do not hold the same number of samples of this tensor.
    """
    p_raw = np.asarray(pred)
    r_raw = np.asarray(ref)
    if p_raw.shape != r_raw.shape:
        raise ValueError(
            f"{tensor.name}: prediction shape {p_raw.shape} differs from reference {r_raw.shape}"
        )
    if p_raw.ndim == 0 or p_raw.shape[0] < 1:
        raise ValueError(f"{tensor.name}: no samples to compare")
    n = int(p_raw.shape[0])
    if p_raw.size != n * tensor.size:
        raise ValueError(
            f"{tensor.name}: arrays of shape {p_raw.shape} do not hold {n} samples of "
            f"{tensor.type_str()}"
        )
    for a in (p_raw, r_raw):
        if a.dtype.kind not in "iubf":
            raise ValueError(f"{tensor.name}: cannot compare arrays of dtype {a.dtype}")

    p = dequantize(p_raw, tensor).reshape(-1)
    r = dequantize(r_raw, tensor).reshape(-1)
    e = p.size
    equal = bool(np.array_equal(p, r))

    with np.errstate(all="ignore"):
        nonfinite = int(np.count_nonzero(~(np.isfinite(p) & np.isfinite(r))))
        d = p - r
        sq = float(np.mean(d * d))
        rmse = math.sqrt(sq) if not math.isnan(sq) else math.nan
        mae = float(np.mean(np.abs(d)))
        mean = float(np.mean(d))
        std = float(np.std(d, ddof=1)) if e >= 2 else (0.0 if equal else math.nan)
        var_r = float(np.var(r, ddof=1)) if e >= 2 else 0.0
        nse = 1.0 - _ratio(sq, var_r, 0.0, equal)
        norm_p = float(np.sqrt(np.dot(p, p)))
        norm_r = float(np.sqrt(np.dot(r, r)))
        l2r = _ratio(float(np.sqrt(np.dot(d, d))), norm_p, 0.0, equal)
        cos = _ratio(float(np.dot(p, r)), norm_p * norm_r, 1.0, equal)
        cos = min(1.0, max(-1.0, cos)) if not math.isnan(cos) else math.nan

        classifier = is_classifier_shape(tensor.shape) if is_classifier is None else is_classifier
        acc: float | None = None
        if classifier:
            ap = np.argmax(p.reshape(n, -1), axis=1)
            ar = np.argmax(r.reshape(n, -1), axis=1)
            acc = float(np.mean(ap == ar))

    bit_exact: float | None = None
    max_lsb: int | None = None
    if _is_int(p_raw) and _is_int(r_raw):
        di = p_raw.astype(np.int64) - r_raw.astype(np.int64)
        bit_exact = float(np.count_nonzero(di == 0)) / di.size
        max_lsb = int(np.max(np.abs(di)))
    elif exact_floats and p_raw.dtype.kind == "f" and p_raw.dtype == r_raw.dtype:
        u = np.dtype(f"u{p_raw.dtype.itemsize}")
        same = p_raw.reshape(-1).view(u) == r_raw.reshape(-1).view(u)
        bit_exact = float(np.count_nonzero(same)) / same.size

    return Metrics(
        tensor=tensor.name,
        samples=n,
        elements=e,
        rmse=rmse,
        mae=mae,
        mean=mean,
        std=std,
        nse=nse,
        l2r=l2r,
        cos=cos,
        acc=acc,
        bit_exact=bit_exact,
        max_lsb=max_lsb,
        nonfinite=nonfinite,
    )
