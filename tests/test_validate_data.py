"""Validation data: .npz layouts and their errors, quantization of float inputs (checked
against LiteRT's QUANTIZE reference kernel), random inputs, ground truth, dequantize."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from conftest import EXAMPLE, ROOT
from helpers.tflite_builder import TFLiteBuilder
from mcuai.api import load_model
from mcuai.errors import UsageError
from mcuai.ir import DType, QuantParams, Tensor
from mcuai.validate.data import (
    batched_shape,
    dequantize,
    is_classifier_shape,
    load_ground_truth,
    load_inputs,
    quantize,
    random_inputs,
)

DIGITS_NPZ = ROOT / "examples" / "digits_test.npz"


def _t(
    name: str,
    shape: tuple[int, ...],
    dtype: DType = DType.INT8,
    scale: float | None = 0.5,
    zp: int = 3,
) -> Tensor:
    q = QuantParams.per_tensor(scale, zp) if scale is not None else None
    return Tensor(name, shape, dtype, q)


def _npz(tmp_path: Path, **arrays: np.ndarray) -> Path:
    p = tmp_path / "inputs.npz"
    np.savez(p, **arrays)  # type: ignore[arg-type]  # numpy stubs: allow_pickle: bool
    return p


def _litert_quantize(x: np.ndarray, scale: float, zp: int, dtype: str) -> np.ndarray:
    """Quantize ``x`` (float32 [1, K]) with a one-op QUANTIZE model in LiteRT (reference)."""
    b = TFLiteBuilder()
    i = b.tensor("x", list(x.shape), "float32")
    o = b.tensor("q", list(x.shape), dtype, scale=scale, zero_point=zp)
    b.op("QUANTIZE", [i], [o], version=2 if dtype == "int8" else 1)
    interp = Interpreter(
        model_content=b.build([i], [o]),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
    )
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    out: np.ndarray = interp.get_tensor(interp.get_output_details()[0]["index"])
    return out


# --------------------------------------------------------------------------- quantization


@pytest.mark.ref
@pytest.mark.parametrize(
    ("dtype", "scale", "zp"),
    [("int8", 0.5, 3), ("int8", 0.0039215689, -128), ("uint8", 0.25, 128), ("int8", 0.1, 0)],
)
def test_quantize_matches_litert_quantize_op(dtype: str, scale: float, zp: int) -> None:
    rng = np.random.default_rng(1)
    ties = (np.arange(-12, 13, dtype=np.float32) + np.float32(0.5)) * np.float32(scale)
    values = np.concatenate(
        [
            ties,  # exact halves: round half away from zero, not to even
            rng.uniform(-1.5, 1.5, 200).astype(np.float32),
            np.array([0.0, -0.0, 1e-9, -1e-9, 1e6, -1e6, 1e5, -1e5], np.float32),
            (rng.uniform(-130, 130, 200).astype(np.float32) * np.float32(scale)),
        ]
    ).reshape(1, -1)
    t = _t("x", values.shape, DType(dtype), scale, zp)
    expected = _litert_quantize(values, scale, zp, dtype)
    np.testing.assert_array_equal(quantize(values, t), expected)


def test_quantize_rounds_halves_away_from_zero() -> None:
    t = _t("x", (6,), DType.INT8, 0.5, 0)
    x = np.array([-1.25, -0.75, -0.25, 0.25, 0.75, 1.25], np.float32)
    # x / 0.5 = -2.5 -1.5 -0.5 0.5 1.5 2.5
    assert quantize(x, t).tolist() == [-3, -2, -1, 1, 2, 3]
    assert quantize(np.array([100.0, -100.0], np.float32), _t("y", (2,))).tolist() == [127, -128]


def test_quantize_per_axis_in_batched_layout() -> None:
    q = QuantParams(np.array([1.0, 0.5], np.float32), np.array([0, 10]), axis=3)
    t = Tensor("x", (1, 2, 2, 2), DType.INT8, q)
    x = np.ones((3, 2, 2, 2), np.float32)
    out = quantize(x, t)
    assert out.dtype == np.int8
    assert (out[..., 0] == 1).all() and (out[..., 1] == 12).all()
    np.testing.assert_allclose(dequantize(out, t), x)


def test_dequantize_by_hand() -> None:
    t = _t("x", (1, 3), DType.INT8, 0.25, -2)
    out = dequantize(np.array([[-2, 2, 127]], np.int8), t)
    assert out.dtype == np.float64
    assert out.tolist() == [[0.0, 1.0, 32.25]]
    # float arrays are real values already
    assert dequantize(np.array([[1.5, 2.0, 0.0]], np.float32), t).tolist() == [[1.5, 2.0, 0.0]]
    # per-axis along the last axis, on a batch of 2
    q = QuantParams(np.array([1.0, 0.5], np.float32), np.array([0, 4]), axis=1)
    tq = Tensor("w", (1, 2), DType.INT8, q)
    assert dequantize(np.array([[3, 6], [-1, 0]], np.int8), tq).tolist() == [
        [3.0, 1.0],
        [-1.0, -2.0],
    ]


# --------------------------------------------------------------------------- load_inputs


@pytest.mark.ref
def test_example_inputs_quantized_like_litert() -> None:
    graph = load_model(EXAMPLE)
    (x,) = load_inputs(DIGITS_NPZ, graph.inputs)
    q = graph.inputs[0].quant
    assert q is not None
    assert x.shape == (20, 8, 8, 1) and x.dtype == np.int8
    raw = np.load(DIGITS_NPZ)["input_0"].astype(np.float32)
    expected = _litert_quantize(raw.reshape(1, -1), q.scalar_scale(), q.scalar_zero_point(), "int8")
    np.testing.assert_array_equal(x.reshape(1, -1), expected)


@pytest.mark.parametrize(
    ("shape", "n"),
    [
        ((5, 4, 3), 5),  # (N, *sample): the batched layout
        ((1, 4, 3), 1),  # exactly the input's shape
        ((4, 3), 1),  # batch dimension omitted
        ((5, 1, 4, 3), 5),  # N stacked in front of the full shape
    ],
)
def test_accepted_shapes(tmp_path: Path, shape: tuple[int, ...], n: int) -> None:
    t = _t("x", (1, 4, 3), DType.INT8)
    data = np.arange(int(np.prod(shape))).reshape(shape).astype(np.int8)
    (x,) = load_inputs(_npz(tmp_path, input_0=data), [t])
    assert x.shape == (n, 4, 3)
    np.testing.assert_array_equal(x.reshape(-1), data.reshape(-1))


def test_input_without_batch_dim_gets_n_prepended(tmp_path: Path) -> None:
    t = _t("x", (40,), DType.INT16, None)
    (one,) = load_inputs(_npz(tmp_path, input_0=np.zeros(40, np.int16)), [t])
    assert one.shape == (1, 40)
    (many,) = load_inputs(_npz(tmp_path, input_0=np.zeros((7, 40), np.int16)), [t])
    assert many.shape == (7, 40)


def test_keys_by_name_by_number_and_single(tmp_path: Path) -> None:
    a = _t("serving_default_a:0", (1, 2))
    b = _t("serving_default_b:0", (1, 3), DType.FLOAT32, None)
    xa = np.array([[1, 2], [3, 4]], np.int8)
    xb = np.zeros((2, 3), np.float32)
    keyed: dict[str, np.ndarray] = {"serving_default_a:0": xa, "input_1": xb}
    got = load_inputs(_npz(tmp_path, **keyed), [a, b])
    np.testing.assert_array_equal(got[0], xa)
    assert got[1].dtype == np.float32 and got[1].shape == (2, 3)
    # single input: any single key; other keys (e.g. labels) are ignored when input_0 exists
    (only,) = load_inputs(_npz(tmp_path, pixels=xa), [a])
    np.testing.assert_array_equal(only, xa)
    (first,) = load_inputs(_npz(tmp_path, input_0=xa, output_0=np.array([1, 2])), [a])
    np.testing.assert_array_equal(first, xa)


def test_float_input_taken_as_is(tmp_path: Path) -> None:
    t = _t("x", (1, 3), DType.FLOAT32, None)
    data = np.array([[0.1, -2.5, 3e5]], np.float64)
    (x,) = load_inputs(_npz(tmp_path, input_0=data), [t])
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, data.astype(np.float32))


def _error(tmp_path: Path, inputs: list[Tensor], **arrays: np.ndarray) -> str:
    p = _npz(tmp_path, **arrays)
    with pytest.raises(UsageError) as e:
        load_inputs(p, inputs)
    msg = str(e.value)
    assert msg.startswith(f"{p}: ")
    return msg


def test_error_wrong_shape_names_key_and_expected(tmp_path: Path) -> None:
    t = _t("serving_default_image:0", (1, 8, 8, 1))
    msg = _error(tmp_path, [t], input_0=np.zeros((20, 8, 8), np.float32))
    assert "'input_0' has shape (20, 8, 8) but input 'serving_default_image:0' needs" in msg
    assert "(N, 8, 8, 1)" in msg


def test_error_missing_key_lists_expected_and_present(tmp_path: Path) -> None:
    a, b = _t("a", (1, 2)), _t("b", (1, 2))
    msg = _error(tmp_path, [a, b], input_0=np.zeros((1, 2), np.int8), x=np.zeros(2))
    assert "input 1 'b'" in msg and "'input_1'" in msg and "'x'" in msg


def test_error_both_name_and_number(tmp_path: Path) -> None:
    a = _t("a", (1, 2))
    z = np.zeros((1, 2), np.int8)
    msg = _error(tmp_path, [a], a=z, input_0=z)
    assert "'a'" in msg and "'input_0'" in msg


def test_error_wrong_integer_dtype(tmp_path: Path) -> None:
    msg = _error(tmp_path, [_t("x", (1, 2))], input_0=np.zeros((1, 2), np.int32))
    assert "'input_0' has dtype int32 but input 'x' is int8" in msg
    assert "s=0.5 zp=3" in msg  # tells how float data would be quantized


def test_error_integer_data_for_float_input(tmp_path: Path) -> None:
    t = _t("x", (1, 2), DType.FLOAT32, None)
    msg = _error(tmp_path, [t], input_0=np.zeros((1, 2), np.uint8))
    assert "'input_0'" in msg and "give float values" in msg


def test_error_float_data_for_unquantized_integer_input(tmp_path: Path) -> None:
    t = _t("audio", (1, 4), DType.INT16, None)
    msg = _error(tmp_path, [t], input_0=np.zeros((1, 4), np.float32))
    assert "'input_0'" in msg and "without quantization" in msg


def test_error_nan_for_quantized_input(tmp_path: Path) -> None:
    msg = _error(tmp_path, [_t("x", (1, 2))], input_0=np.array([[1.0, np.nan]]))
    assert "'input_0' contains NaN" in msg


def test_error_n_mismatch_between_inputs(tmp_path: Path) -> None:
    a, b = _t("a", (1, 2)), _t("b", (1, 2))
    msg = _error(
        tmp_path, [a, b], input_0=np.zeros((4, 2), np.int8), input_1=np.zeros((3, 2), np.int8)
    )
    assert "'input_1' has 3 samples but 'input_0' has 4" in msg


def test_error_empty_array(tmp_path: Path) -> None:
    msg = _error(tmp_path, [_t("x", (1, 2))], input_0=np.zeros((0, 2), np.int8))
    assert "'input_0' is empty" in msg


def test_error_non_numeric_array(tmp_path: Path) -> None:
    msg = _error(tmp_path, [_t("x", (1, 2))], input_0=np.array([["a", "b"]]))
    assert "'input_0' has dtype <U1" in msg


@pytest.mark.parametrize("kind", ["missing", "corrupt", "truncated", "npy", "pickle", "dir"])
def test_error_unreadable_files(tmp_path: Path, kind: str) -> None:
    p = tmp_path / "inputs.npz"
    if kind == "corrupt":
        p.write_bytes(b"this is not a zip archive")
    elif kind == "truncated":
        np.savez(p, input_0=np.zeros((100, 2), np.int8))
        p.write_bytes(p.read_bytes()[:150])
    elif kind == "npy":
        with p.open("wb") as fh:
            np.save(fh, np.zeros((1, 2), np.int8))
    elif kind == "pickle":
        np.savez(p, input_0=np.array([{"a": 1}], dtype=object))
    elif kind == "dir":
        p.mkdir()
    with pytest.raises(UsageError) as e:
        load_inputs(p, [_t("x", (1, 2))])
    assert str(e.value).startswith(f"{p}: ")
    if kind == "missing":
        assert "no such file" in str(e.value)
    if kind == "npy":
        assert ".npy" in str(e.value)


# --------------------------------------------------------------------------- random_inputs


def test_random_inputs_deterministic_ranges_and_dtypes() -> None:
    ins = [
        _t("a", (1, 16, 16)),
        _t("b", (1, 64), DType.UINT8, 0.1, 128),
        _t("c", (1, 4, 4), DType.FLOAT32, None),
        _t("d", (32,), DType.INT16, None),
    ]
    x1 = random_inputs(ins, 50, seed=7)
    x2 = random_inputs(ins, 50, seed=7)
    x3 = random_inputs(ins, 50, seed=8)
    for a, b, c, t in zip(x1, x2, x3, ins, strict=True):
        assert a.shape == batched_shape(t.shape, 50)
        assert a.dtype == t.dtype.np
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    a, b, c, d = x1
    assert a.min() == -128 and a.max() == 127  # 12800 draws cover the whole int8 range
    assert b.min() == 0 and b.max() == 255
    assert c.min() >= -1.0 and c.max() < 1.0 and c.min() < -0.9 and c.max() > 0.9
    assert d.shape == (50, 32) and d.min() < -30000 and d.max() > 30000


def test_random_inputs_rejects_zero_samples() -> None:
    with pytest.raises(UsageError):
        random_inputs([_t("a", (1, 2))], 0, seed=0)


# --------------------------------------------------------------------------- ground truth


def test_shapes_and_classifier_rule() -> None:
    assert batched_shape((1, 8, 8, 1), 5) == (5, 8, 8, 1)
    assert batched_shape((40,), 5) == (5, 40)
    assert batched_shape((), 3) == (3,)
    assert is_classifier_shape((1, 10)) and is_classifier_shape((10,))
    assert is_classifier_shape((1, 1, 1, 12))
    assert not is_classifier_shape((1, 1)) and not is_classifier_shape((1, 5, 5, 18))


def test_ground_truth_labels_of_example() -> None:
    graph = load_model(EXAMPLE)
    (gt,) = load_ground_truth(DIGITS_NPZ, graph.outputs, 20)
    labels = np.load(DIGITS_NPZ)["output_0"]
    assert gt.shape == (20, 10) and gt.dtype == np.float64
    assert (gt.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(np.argmax(gt, axis=1), labels)


def test_ground_truth_forms(tmp_path: Path) -> None:
    cls = _t("probs", (1, 3), DType.INT8, 1 / 256, -128)
    reg = _t("value", (1, 2), DType.FLOAT32, None)
    onehot = np.array([[0, 1, 0], [1, 0, 0]], np.int64)
    real = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    a, b = load_ground_truth(_npz(tmp_path, output_0=onehot, value=real), [cls, reg], 2)
    assert a.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert b.dtype == np.float64 and b.tolist() == real.astype(np.float64).tolist()
    (c,) = load_ground_truth(_npz(tmp_path, y=np.array([2, 0])), [cls], 2)
    assert c.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    probs = np.array([[0.1, 0.2, 0.7]], np.float32)
    (d,) = load_ground_truth(_npz(tmp_path, output_0=probs[0]), [cls], 1)  # batch omitted
    assert d.shape == (1, 3)


def _gt_error(tmp_path: Path, outputs: list[Tensor], n: int, **arrays: np.ndarray) -> str:
    p = _npz(tmp_path, **arrays)
    with pytest.raises(UsageError) as e:
        load_ground_truth(p, outputs, n)
    msg = str(e.value)
    assert msg.startswith(f"{p}: ")
    return msg


def test_ground_truth_errors(tmp_path: Path) -> None:
    cls = _t("probs", (1, 3))
    reg = _t("recon", (1, 2, 2), DType.INT8)
    msg = _gt_error(tmp_path, [cls], 2, output_0=np.array([0, 3]))
    assert "'output_0' holds class index 3 at sample 1" in msg
    msg = _gt_error(tmp_path, [cls], 2, output_0=np.array([[0, 1, 1], [1, 0, 0]]))
    assert "'output_0'" in msg and "not one-hot" in msg
    msg = _gt_error(tmp_path, [reg], 2, output_0=np.zeros((2, 2, 2), np.int8))
    assert "'output_0' holds integers" in msg and "not a classifier" in msg
    msg = _gt_error(tmp_path, [cls], 2, output_0=np.zeros((3, 3), np.float32))
    assert "'output_0' has 3 samples but the inputs have 2" in msg
    msg = _gt_error(tmp_path, [cls], 2, output_0=np.zeros((2, 4), np.float32))
    assert "'output_0' has shape (2, 4) but output 'probs' needs (N, 3)" in msg
    msg = _gt_error(tmp_path, [cls], 2, output_0=np.array([[np.inf, 0, 0], [0, 0, 1]]))
    assert "'output_0' contains NaN or infinity" in msg
    msg = _gt_error(tmp_path, [cls, reg], 2, output_0=np.zeros((2, 3)), labels=np.zeros(2))
    assert "no array for output 1 'recon'" in msg and "'output_1'" in msg
