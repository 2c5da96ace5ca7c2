"""Metrics on small vectors computed by hand, the degenerate cases, and invariants."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mcuai.ir import DType, QuantParams, Tensor
from mcuai.validate.metrics import Metrics, compute_metrics, format_metric


def _float(shape: tuple[int, ...]) -> Tensor:
    return Tensor("out", shape, DType.FLOAT32)


def _int8(shape: tuple[int, ...], scale: float = 0.5, zp: int = 10) -> Tensor:
    return Tensor("q", shape, DType.INT8, QuantParams.per_tensor(scale, zp))


@pytest.fixture(autouse=True)
def _no_numpy_warnings() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_float_vectors_by_hand() -> None:
    # one sample of 4 values: p - r = [0, 0, 0, -1]
    p = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
    r = np.array([[1.0, 2.0, 3.0, 5.0]], np.float32)
    m = compute_metrics(p, r, _float((1, 4)), is_classifier=False)
    assert (m.samples, m.elements) == (1, 4)
    assert m.rmse == pytest.approx(0.5)  # sqrt(1/4)
    assert m.mae == pytest.approx(0.25)
    assert m.mean == pytest.approx(-0.25)
    # deviations of d from its mean -0.25: 0.25 x3, -0.75 -> (3/16 + 9/16) / 3 = 1/4
    assert m.std == pytest.approx(0.5)
    # var(r, ddof=1) = 8.75 / 3 = 35/12; nse = 1 - (1/4) / (35/12) = 1 - 3/35
    assert m.nse == pytest.approx(32 / 35)
    assert m.l2r == pytest.approx(1 / math.sqrt(30))  # ||d|| = 1, ||p|| = sqrt(30)
    assert m.cos == pytest.approx(34 / math.sqrt(30 * 39))
    assert m.acc is None and m.bit_exact is None and m.max_lsb is None
    assert m.nonfinite == 0


def test_int8_vectors_by_hand() -> None:
    t = _int8((1, 3), scale=0.5, zp=10)
    p = np.array([[10, 12, 20], [14, 10, 8]], np.int8)  # real: [0, 1, 5], [2, 0, -1]
    r = np.array([[10, 12, 21], [10, 10, 8]], np.int8)  # real: [0, 1, 5.5], [0, 0, -1]
    m = compute_metrics(p, r, t)
    # d = [0, 0, -0.5, 2, 0, 0]
    assert (m.samples, m.elements) == (2, 6)
    assert m.rmse == pytest.approx(math.sqrt(4.25 / 6))
    assert m.mae == pytest.approx(2.5 / 6)
    assert m.mean == pytest.approx(1.5 / 6)
    assert m.bit_exact == pytest.approx(4 / 6)
    assert m.max_lsb == 4
    # classifier by shape [1, 3]: argmax p = [2, 0], argmax r = [2, 0]
    assert m.acc == 1.0
    # ||p||^2 = 0+1+25+4+0+1 = 31, <p,r> = 0+1+27.5+0+0+1 = 29.5, ||r||^2 = 1+30.25+1 = 32.25
    assert m.l2r == pytest.approx(math.sqrt(4.25 / 31))
    assert m.cos == pytest.approx(29.5 / math.sqrt(31 * 32.25))


def test_accuracy_counts_samples() -> None:
    t = _float((1, 3))
    p = np.array([[0.1, 0.8, 0.1], [0.5, 0.2, 0.3], [0.0, 0.1, 0.9], [0.3, 0.3, 0.4]])
    r = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert compute_metrics(p, r, t).acc == 0.5
    assert compute_metrics(p, r, t, is_classifier=False).acc is None
    # [1, 640] qualifies by shape (an autoencoder, say): callers override with False
    assert compute_metrics(p, r, _float((1, 1, 3))).acc == 0.5
    two_d = _float((1, 2, 2))
    q = np.zeros((1, 2, 2))
    assert compute_metrics(q, q, two_d).acc is None
    assert compute_metrics(q, q, two_d, is_classifier=True).acc == 1.0


def test_int_prediction_against_float_ground_truth() -> None:
    t = _int8((1, 2), scale=0.25, zp=0)
    p = np.array([[4, 0]], np.int8)  # real [1, 0]
    r = np.array([[1.0, 0.0]])
    m = compute_metrics(p, r, t)
    assert m.rmse == 0.0 and m.cos == pytest.approx(1.0) and m.acc == 1.0
    assert m.bit_exact is None and m.max_lsb is None


def test_degenerate_all_zero_equal() -> None:
    z = np.zeros((3, 4), np.int8)
    m = compute_metrics(z, z, _int8((1, 4), zp=0))
    assert (m.rmse, m.mae, m.mean, m.std) == (0.0, 0.0, 0.0, 0.0)
    assert m.nse == 1.0 and m.l2r == 0.0 and m.cos == 1.0
    assert m.bit_exact == 1.0 and m.max_lsb == 0


def test_degenerate_constant_reference_differs() -> None:
    t = _float((1, 3))
    r = np.full((2, 3), 2.0)
    p = np.array([[2.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    m = compute_metrics(p, r, t, is_classifier=False)
    assert math.isnan(m.nse)  # var(r) = 0 and p != r
    assert m.rmse == pytest.approx(math.sqrt(1 / 6))
    assert m.cos == pytest.approx(26 / math.sqrt(29 * 24))  # <p,r> = 2 * 13
    # equal constant outputs: perfect agreement
    e = compute_metrics(r, r, t, is_classifier=False)
    assert e.nse == 1.0 and e.std == 0.0 and e.l2r == 0.0 and e.cos == pytest.approx(1.0)


def test_degenerate_zero_prediction() -> None:
    t = _float((1, 2))
    m = compute_metrics(np.zeros((1, 2)), np.array([[1.0, -1.0]]), t)
    assert math.isnan(m.l2r) and math.isnan(m.cos)
    assert m.rmse == 1.0 and m.nse == pytest.approx(1 - 1 / 2)  # var([1, -1], ddof=1) = 2


def test_degenerate_single_element() -> None:
    t = _float((1,))
    m = compute_metrics(np.array([1.0]), np.array([3.0]), t)
    assert math.isnan(m.std) and math.isnan(m.nse)
    assert m.rmse == 2.0 and m.mean == -2.0
    same = compute_metrics(np.array([3.0]), np.array([3.0]), t)
    assert same.std == 0.0 and same.nse == 1.0 and same.cos == 1.0


def test_nonfinite_values_counted_without_warnings() -> None:
    t = _float((1, 3))
    p = np.array([[np.nan, 1.0, np.inf]])
    r = np.array([[0.0, 1.0, 2.0]])
    m = compute_metrics(p, r, t, is_classifier=False)
    assert m.nonfinite == 2
    assert math.isnan(m.rmse) and math.isnan(m.cos)


def test_to_json_and_format() -> None:
    m = compute_metrics(np.zeros((1, 2)), np.array([[1.0, -1.0]]), _float((1, 2)))
    js = m.to_json()
    assert list(js) == [f for f in Metrics.__dataclass_fields__]
    assert js["l2r"] is None and js["cos"] is None and js["bit_exact"] is None
    assert js["rmse"] == 1.0 and js["tensor"] == "out"
    json.dumps(js, allow_nan=False)
    assert format_metric(m.l2r) == "n/a" and format_metric(None) == "n/a"
    assert format_metric(m.rmse) == "1" and format_metric(7) == "7"
    assert format_metric(0.123456789, 3) == "0.123"


def test_shape_mismatch_is_an_error() -> None:
    t = _float((1, 3))
    with pytest.raises(ValueError, match="differs"):
        compute_metrics(np.zeros((2, 3)), np.zeros((3, 3)), t)
    with pytest.raises(ValueError, match="samples of"):
        compute_metrics(np.zeros((2, 4)), np.zeros((2, 4)), t)
    with pytest.raises(ValueError, match="no samples"):
        compute_metrics(np.zeros((0, 3)), np.zeros((0, 3)), t)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int8, (4, 5)),
    arrays(np.int8, (4, 5)),
    st.floats(1e-3, 10.0),
    st.integers(-128, 127),
)
def test_invariants(p: np.ndarray, r: np.ndarray, scale: float, zp: int) -> None:
    t = _int8((1, 5), scale=scale, zp=zp)
    m = compute_metrics(p, r, t)
    s = float(np.float32(scale))
    assert m.rmse + 1e-9 >= m.mae >= abs(m.mean) - 1e-9
    assert m.max_lsb == int(np.max(np.abs(p.astype(int) - r.astype(int))))
    assert m.mae <= m.max_lsb * s + 1e-9
    assert m.bit_exact == pytest.approx(float(np.mean(p == r)))
    assert math.isnan(m.cos) or -1.0 <= m.cos <= 1.0
    assert m.acc is not None and 0.0 <= m.acc <= 1.0
    # swapping p and r flips the mean and keeps the symmetric metrics
    w = compute_metrics(r, p, t)
    assert w.mean == pytest.approx(-m.mean) and w.rmse == pytest.approx(m.rmse)
    assert w.max_lsb == m.max_lsb and w.bit_exact == m.bit_exact
    assert (math.isnan(w.cos) and math.isnan(m.cos)) or w.cos == pytest.approx(m.cos)
    # comparing with itself is perfect
    same = compute_metrics(p, p, t)
    assert same.rmse == 0.0 and same.bit_exact == 1.0 and same.max_lsb == 0 and same.nse == 1.0


def test_float_bit_exact_share_on_request() -> None:
    # 1.0 and the next float32 above it differ in the last bit: one of four elements differs;
    # -0.0 and 0.0 compare equal as numbers but not as bits.
    nxt = np.nextafter(np.float32(1.0), np.float32(2.0))
    p = np.array([[1.0, nxt, 3.0, -0.0]], np.float32)
    r = np.array([[1.0, 1.0, 3.0, 0.0]], np.float32)
    m = compute_metrics(p, r, _float((1, 4)), is_classifier=False, exact_floats=True)
    assert m.bit_exact == pytest.approx(0.5)
    assert m.max_lsb is None
    plain = compute_metrics(p, r, _float((1, 4)), is_classifier=False)
    assert plain.bit_exact is None
    # float64 ground truth vs float32 output: no bit comparison even on request
    gt = compute_metrics(p, r.astype(np.float64), _float((1, 4)), False, exact_floats=True)
    assert gt.bit_exact is None
