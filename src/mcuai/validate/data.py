"""Validation data: user ``.npz`` files, seeded random inputs, (de)quantization.

Layout of a batch
-----------------
Every array here holds ``N`` samples of one model tensor stacked on a leading axis, in the
*batched layout* of :func:`batched_shape`: a leading batch dimension of 1 in the tensor's shape is
replaced by ``N`` (``[1, 8, 8, 1]`` -> ``[N, 8, 8, 1]``); a tensor without one (rank 0, or a first
dimension other than 1) gets ``N`` prepended (``[40]`` -> ``[N, 40]``). The reference runners
(:mod:`mcuai.validate.reference`) take and return the same layout.

Keys in an ``.npz`` file
------------------------
The array for model input ``i`` (output ``i``) is found under, in this order: the tensor's name
in the model, ``input_<i>`` (``output_<i>``), or, when the model has a single input (output) and
the file holds a single array, that array whatever its key. Other keys are ignored, so one file
can hold inputs and ground truth (``input_0`` and ``output_0``).

Shapes accepted per array, for a tensor of shape ``S`` (sample shape ``s`` = ``S`` without its
leading batch dimension of 1, or ``S`` itself when it has none): ``(N, *s)`` (the batched
layout), exactly ``S`` (one sample), ``s`` (one sample, batch dimension omitted) and
``(N, *S)`` (samples stacked in front of the full shape).

Quantization of float data (``quantize``)
-----------------------------------------
Float values for a quantized integer input are quantized exactly as TFLite's QUANTIZE reference
kernel does it (``reference_ops::AffineQuantize``, also what TFLite Micro runs):
``q = clamp(round_half_away_from_zero(float32(x) / float32(scale)) + zero_point, qmin, qmax)``,
with the division done in float32 (``TfLiteRound`` is ``std::round``: halves round away from
zero, *not* to even). This is checked against LiteRT running a QUANTIZE model in the tests.
One deliberate difference: where ``|x / scale| >= 2**31`` the reference converts an
out-of-range float to int32 (undefined behaviour in C++; on x86 it yields ``qmin`` even for
huge positive values); here such values saturate like any other, to ``qmin`` or ``qmax``.
For ONNX models the rounding is ONNX Runtime's ``QuantizeLinear``: the same float32 division,
halves rounded to even (``quantize(..., half_even=True)``).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from mcuai.errors import UsageError
from mcuai.ir import Tensor

__all__ = [
    "batched_shape",
    "dequantize",
    "is_classifier_shape",
    "load_ground_truth",
    "load_inputs",
    "quantize",
    "random_inputs",
    "sample_shape",
]


# ---------------------------------------------------------------------------------------------
# shapes


def sample_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of one sample: ``shape`` without a leading batch dimension of 1."""
    shape = tuple(int(d) for d in shape)
    return shape[1:] if shape and shape[0] == 1 else shape


def batched_shape(shape: tuple[int, ...], n: int) -> tuple[int, ...]:
    """Shape of ``n`` stacked samples of a tensor of shape ``shape`` (see the module doc)."""
    return (n, *sample_shape(shape))


def is_classifier_shape(shape: tuple[int, ...]) -> bool:
    """The default classifier rule: after dropping a leading batch dimension of 1, exactly one
    dimension is larger than 1 (the classes, ``C >= 2``); e.g. ``[1, 10]``, ``[10]``,
    ``[1, 1, 1, 12]`` are classifiers, ``[1, 1]``, ``[1, 5, 5, 18]`` are not.

    The rule looks at shapes only, so a ``[1, 640]`` autoencoder output also qualifies; callers
    that know better pass ``is_classifier`` explicitly to :func:`~mcuai.validate.compute_metrics`.
    """
    big = [d for d in sample_shape(shape) if d > 1]
    return len(big) == 1


def _shape_text(shape: tuple[int, ...], batch: bool = False) -> str:
    dims = (["N"] if batch else []) + [str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _to_batched(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``arr`` in the batched layout of a tensor of shape ``shape``, or None if its shape is
    none of the accepted ones (see the module doc)."""
    full = tuple(int(d) for d in shape)
    samp = sample_shape(full)
    if arr.ndim == len(samp) + 1 and arr.shape[1:] == samp:
        return arr
    if arr.shape == full:
        return arr.reshape(batched_shape(full, 1))
    if arr.shape == samp:
        return arr.reshape(batched_shape(full, 1))
    if arr.ndim == len(full) + 1 and arr.shape[1:] == full:
        return arr.reshape(batched_shape(full, arr.shape[0]))
    return None


# ---------------------------------------------------------------------------------------------
# (de)quantization


def _param(values: np.ndarray, tensor: Tensor, ndim: int) -> np.ndarray:
    """Scale or zero point shaped to broadcast against an array of rank ``ndim`` holding data of
    ``tensor`` (the batched layout, one sample, or one sample without its batch dimension)."""
    q = tensor.quant
    assert q is not None
    if not q.per_axis:
        return values.reshape(())
    assert q.axis is not None
    axis = q.axis + (ndim - tensor.rank)  # the batch axis may be replaced, added or left out
    if not 0 <= axis < ndim:
        raise ValueError(
            f"per-axis quantization axis {q.axis} does not fit an array of rank {ndim}"
        )
    shape = [1] * ndim
    shape[axis] = values.size
    return values.reshape(shape)


def dequantize(arr: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Real values (float64) of data of ``tensor``.

    Integer (and bool) arrays are dequantized with the tensor's quantization,
    ``float64(scale) * (q - zero_point)`` (exact: no float32 rounding, so equal integers give
    equal reals), or just converted when the tensor has none. Float arrays already hold real
    values and are only converted to float64. Per-axis parameters broadcast along the tensor's
    axis in the batched layout (or in a single sample).
    """
    a = np.asarray(arr)
    if a.dtype.kind == "f" or tensor.quant is None:
        return a.astype(np.float64)
    if a.dtype.kind not in "iub":
        raise ValueError(f"cannot dequantize an array of dtype {a.dtype}")
    scale = _param(tensor.quant.scale.astype(np.float64), tensor, a.ndim)
    zp = _param(tensor.quant.zero_point.astype(np.int64), tensor, a.ndim)
    out: np.ndarray = (a.astype(np.int64) - zp).astype(np.float64) * scale
    return out


def quantize(arr: np.ndarray, tensor: Tensor, half_even: bool = False) -> np.ndarray:
    """Quantize real values to ``tensor``'s integer dtype like TFLite's QUANTIZE reference
    kernel: float32 division by the scale, round half away from zero, add the zero point,
    saturate (see the module doc). ``half_even``: ONNX ``QuantizeLinear`` as ONNX Runtime
    computes it (same float32 division, halves rounded to even). Raises ValueError for NaN and
    for an unquantized tensor."""
    q = tensor.quant
    if q is None or not tensor.dtype.is_integer:
        raise ValueError(f"tensor {tensor.name!r} is not a quantized integer tensor")
    x = np.asarray(arr, dtype=np.float32)
    if np.isnan(x).any():
        raise ValueError("cannot quantize NaN")
    scale = _param(q.scale.astype(np.float32), tensor, x.ndim)
    zp = _param(q.zero_point.astype(np.float64), tensor, x.ndim)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        y = (x / scale).astype(np.float64)  # the float32 quotient, held exactly in float64
    # half away from zero (TFLite) or half to even (ONNX); exact in float64 for float32 quotients
    away = np.where(y >= 0, np.floor(y + 0.5), np.ceil(y - 0.5))
    r = (np.rint(y) if half_even else away) + zp
    out: np.ndarray = np.clip(r, tensor.dtype.qmin, tensor.dtype.qmax).astype(tensor.dtype.np)
    return out


# ---------------------------------------------------------------------------------------------
# .npz files


class _Npz:
    """An opened ``.npz`` file whose every failure is a :class:`UsageError` naming it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        try:
            # read into memory first: no file handle can leak when the archive is corrupt
            loaded: Any = np.load(io.BytesIO(path.read_bytes()), allow_pickle=False)
        except FileNotFoundError:
            raise UsageError(f"{self.label}: no such file") from None
        except IsADirectoryError:
            raise UsageError(f"{self.label}: is a directory, not an .npz file") from None
        except PermissionError:
            raise UsageError(f"{self.label}: cannot read (permission denied)") from None
        except Exception as e:  # corrupt zip, pickled content, truncated file, ...
            raise UsageError(
                f"{self.label}: not a readable .npz file ({type(e).__name__}: {e})"
            ) from None
        if isinstance(loaded, np.ndarray):
            raise UsageError(
                f"{self.label}: is a single .npy array, not an .npz archive; save the arrays "
                "with numpy.savez(path, input_0=x, ...)"
            )
        self.keys: list[str] = list(loaded.files)
        self._file = loaded
        if not self.keys:
            raise UsageError(f"{self.label}: the archive holds no arrays")

    def fail(self, msg: str) -> UsageError:
        return UsageError(f"{self.label}: {msg}")

    def find(self, tensor: Tensor, index: int, prefix: str, single: bool) -> str:
        """The key holding the data of ``tensor`` (model input/output number ``index``)."""
        numbered = f"{prefix}_{index}"
        if tensor.name in self.keys and numbered in self.keys and tensor.name != numbered:
            raise self.fail(
                f"both {tensor.name!r} and {numbered!r} are given for {prefix} {index}; "
                "keep one of them"
            )
        if tensor.name in self.keys:
            return tensor.name
        if numbered in self.keys:
            return numbered
        if single and len(self.keys) == 1:
            return self.keys[0]
        have = ", ".join(repr(k) for k in self.keys)
        raise self.fail(
            f"no array for {prefix} {index} {tensor.name!r}: expected the key {tensor.name!r} "
            f"or {numbered!r}; the file holds {have}"
        )

    def array(self, key: str) -> np.ndarray:
        try:
            a = self._file[key]
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
            raise self.fail(f"cannot read {key!r} ({type(e).__name__}: {e})") from None
        if not isinstance(a, np.ndarray):  # pragma: no cover - np.load always gives arrays
            raise self.fail(f"{key!r} is not an array")
        return a

    def close(self) -> None:
        self._file.close()


def _batched(
    npz: _Npz, key: str, arr: np.ndarray, tensor: Tensor, what: str, n: int | None
) -> np.ndarray:
    """``arr`` in the batched layout of ``tensor``, checking shape, emptiness and N."""
    if arr.size == 0:
        raise npz.fail(f"{key!r} is empty (shape {arr.shape})")
    b = _to_batched(arr, tensor.shape)
    if b is None:
        raise npz.fail(
            f"{key!r} has shape {tuple(arr.shape)} but {what} {tensor.name!r} needs "
            f"{_shape_text(sample_shape(tensor.shape), batch=True)}"
        )
    if n is not None and b.shape[0] != n:
        raise npz.fail(f"{key!r} has {b.shape[0]} samples but the inputs have {n}")
    return b


def _input_values(
    npz: _Npz, key: str, arr: np.ndarray, tensor: Tensor, half_even: bool = False
) -> np.ndarray:
    """``arr`` (batched) converted to ``tensor``'s raw dtype, following the module's rules."""
    dt = tensor.dtype
    kind = arr.dtype.kind
    what = f"input {tensor.name!r}"
    if kind not in "fiub":
        raise npz.fail(f"{key!r} has dtype {arr.dtype}, expected numbers for {what}")
    if dt.is_float:
        if kind != "f":
            raise npz.fail(
                f"{key!r} has dtype {arr.dtype} but {what} is {dt.value}: give float values"
            )
        return arr.astype(dt.np)
    if kind == "f":
        if tensor.quant is None:
            raise npz.fail(
                f"{key!r} has dtype {arr.dtype} but {what} is {dt.value} without quantization "
                f"parameters: give {dt.value} values"
            )
        if not np.isfinite(arr).all():
            raise npz.fail(f"{key!r} contains NaN or infinity; it cannot be quantized")
        return quantize(arr, tensor, half_even)
    if arr.dtype != dt.np:
        hint = (
            f" or float values (real, quantized with {tensor.quant.describe()})"
            if tensor.quant is not None
            else ""
        )
        raise npz.fail(
            f"{key!r} has dtype {arr.dtype} but {what} is {dt.value}: give {dt.value} values "
            f"(already quantized){hint}"
        )
    return arr


def load_inputs(npz: Path, graph_inputs: list[Tensor], half_even: bool = False) -> list[np.ndarray]:
    """Read the model inputs from ``npz``: one array per model input, in the batched layout
    (``[N, ...]``, see the module doc) and the input's raw dtype, all with the same ``N``.

    - float data for a quantized integer input is quantized (see :func:`quantize`; with
      ``half_even`` -- ONNX models -- as ONNX Runtime's QuantizeLinear rounds);
    - integer data for an integer input must have exactly its dtype (taken as already
      quantized); float data for a float input is converted to float32 as it is;
    - anything else (missing key, bad shape or dtype, different N, empty array, NaN for a
      quantized input, unreadable file) is a :class:`UsageError` naming the file and the key.
    """
    path = Path(npz)
    f = _Npz(path)
    try:
        out: list[np.ndarray] = []
        n: int | None = None
        first = ""
        for i, t in enumerate(graph_inputs):
            key = f.find(t, i, "input", single=len(graph_inputs) == 1)
            arr = _batched(f, key, f.array(key), t, "input", None)
            if n is None:
                n, first = arr.shape[0], key
            elif arr.shape[0] != n:
                raise f.fail(f"{key!r} has {arr.shape[0]} samples but {first!r} has {n}")
            out.append(np.ascontiguousarray(_input_values(f, key, arr, t, half_even)))
        return out
    finally:
        f.close()


def random_inputs(graph_inputs: list[Tensor], n: int, seed: int) -> list[np.ndarray]:
    """``n`` seeded random samples per model input, in the batched layout and raw dtype.

    Integer inputs are uniform over their dtype's whole range (``[-128, 127]`` for int8, also
    for unquantized integer inputs); float inputs are uniform in ``[-1, 1)`` (float32); bool
    inputs are fair coin flips. The inputs are drawn in model order from one
    ``numpy.random.default_rng(seed)``: the same seed gives the same arrays.
    """
    if n < 1:
        raise UsageError(f"the number of random inputs must be at least 1 (got {n})")
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for t in graph_inputs:
        shape = batched_shape(t.shape, n)
        dt = t.dtype
        if dt.is_float:
            # 2u - 1 with u in [0, 1) float32 is exact and stays in [-1, 1)
            a = rng.random(shape, dtype=np.float32) * np.float32(2) - np.float32(1)
        elif dt.is_integer:
            a = rng.integers(dt.qmin, dt.qmax, size=shape, dtype=dt.np, endpoint=True)
        else:  # bool
            a = rng.integers(0, 1, size=shape, endpoint=True).astype(np.bool_)
        out.append(np.ascontiguousarray(a.astype(dt.np)))
    return out


# ---------------------------------------------------------------------------------------------
# ground truth


def _truth_values(f: _Npz, key: str, arr: np.ndarray, tensor: Tensor, n: int) -> np.ndarray:
    """Ground truth of one output as real values (float64) in the batched layout."""
    what = f"output {tensor.name!r}"
    samp = sample_shape(tensor.shape)
    classifier = is_classifier_shape(tensor.shape)
    classes = int(np.prod(samp)) if classifier else 0
    if arr.size == 0:
        raise f.fail(f"{key!r} is empty (shape {arr.shape})")
    kind = arr.dtype.kind
    if kind not in "fiub":
        raise f.fail(f"{key!r} has dtype {arr.dtype}, expected numbers for {what}")
    if kind == "f":
        b = _batched(f, key, arr, tensor, "output", n)
        if not np.isfinite(b).all():
            raise f.fail(f"{key!r} contains NaN or infinity")
        return b.astype(np.float64)
    # integer data: class indices or one-hot rows, classifiers only
    forms = f"real values (float) of shape {_shape_text(samp, batch=True)}"
    if not classifier:
        raise f.fail(
            f"{key!r} holds integers ({arr.dtype}) but {what} of shape {tensor.shape} is not a "
            f"classifier output; give {forms}"
        )
    forms += f", class indices (N,) or one-hot rows (N, {classes})"
    if arr.shape == (n,):  # class indices
        labels = arr.astype(np.int64)
        bad = (labels < 0) | (labels >= classes)
        if bad.any():
            i = int(np.argmax(bad))
            raise f.fail(
                f"{key!r} holds class index {int(labels[i])} at sample {i}, outside "
                f"[0, {classes - 1}] for {what}"
            )
        onehot = np.zeros((n, classes), dtype=np.float64)
        onehot[np.arange(n), labels] = 1.0
        return onehot.reshape(batched_shape(tensor.shape, n))
    rows_b = _to_batched(arr, tensor.shape)
    if rows_b is None:
        raise f.fail(f"{key!r} has shape {tuple(arr.shape)} but {what} needs {forms}")
    if rows_b.shape[0] != n:
        raise f.fail(f"{key!r} has {rows_b.shape[0]} samples but the inputs have {n}")
    rows = rows_b.reshape(n, -1).astype(np.int64)
    if not (np.isin(rows, (0, 1)).all() and (rows.sum(axis=1) == 1).all()):
        raise f.fail(
            f"{key!r} is an integer array of shape {tuple(arr.shape)} but not one-hot; give {forms}"
        )
    return rows_b.astype(np.float64)


def load_ground_truth(npz: Path, graph_outputs: list[Tensor], n: int) -> list[np.ndarray]:
    """Read expected outputs (``-vo``) for ``n`` samples: one float64 array of real values per
    model output, in the batched layout (``[N, ...]``, see the module doc).

    Per output the file may hold real values (float, any accepted shape), or, for classifier
    outputs (:func:`is_classifier_shape`), integer class indices of shape ``(N,)`` or integer
    one-hot rows ``(N, C)``; both are returned as one-hot float rows, so every output comes back
    as real values comparable with dequantized model outputs. Raw quantized integers are not
    accepted as ground truth. Mismatches are a :class:`UsageError` naming the file and key.
    """
    path = Path(npz)
    f = _Npz(path)
    try:
        out: list[np.ndarray] = []
        for i, t in enumerate(graph_outputs):
            key = f.find(t, i, "output", single=len(graph_outputs) == 1)
            out.append(_truth_values(f, key, f.array(key), t, n))
        return out
    finally:
        f.close()
