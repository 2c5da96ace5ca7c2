"""``mcuai quantize``: post-training static quantization of a float ONNX model.

The work is done by ONNX Runtime's quantizer, as its documentation recommends: first
``quant_pre_process`` (shape inference and graph optimization, e.g. BatchNormalization folded
into Conv), then ``quantize_static`` calibrated on the user's data. Defaults (DESIGN §3, and ONNX
Runtime's recommendation for int8 CPU models): QDQ format, int8 weights, symmetric, per channel;
int8 activations, asymmetric, per tensor; MinMax calibration.

The calibration file follows the key conventions of ``validate -vi``
(:func:`mcuai.validate.data.load_inputs`): one array per model input, keyed by input name or
``input_<i>`` (or the single array of a single-input model), ``N`` samples stacked in front
(``[N, ...]`` with the batch dimension of 1 replaced, or ``[N, 1, ...]``), float values.

After quantizing, the float and the quantized model run in ONNX Runtime (CPU, default
optimizations: the reference ``validate`` uses) on the calibration set, or on ``vi`` when given,
and every output gets DESIGN §3's metrics (quantized vs float, both real values).

Nothing is written unless everything succeeded: the pre-processed and quantized models live in a
temporary folder, and the result is written next to the target under a temporary name, then
renamed over it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcuai import __version__
from mcuai.errors import McuaiError, ModelError, UsageError
from mcuai.ir.dtypes import DType
from mcuai.ir.tensor import Tensor
from mcuai.validate.data import load_inputs
from mcuai.validate.metrics import Metrics, compute_metrics

__all__ = [
    "ACTIVATION_TYPES",
    "FORMATS",
    "METHODS",
    "QuantizeOptions",
    "QuantizeReport",
    "quantize_model",
]

SCHEMA_VERSION = 1
FORMATS = ("qdq", "qoperator")
ACTIVATION_TYPES = ("int8", "uint8")
WEIGHT_TYPES = ("int8", "uint8")
METHODS = ("minmax", "entropy", "percentile")

#: Ops that only appear in models that are quantized already (static or dynamic).
_QUANTIZED_OPS = {
    "QuantizeLinear",
    "DequantizeLinear",
    "DynamicQuantizeLinear",
    "QLinearConv",
    "QLinearMatMul",
    "QGemm",
    "QLinearAdd",
    "QLinearMul",
    "QLinearAveragePool",
    "QLinearGlobalAveragePool",
    "QLinearSigmoid",
    "QLinearLeakyRelu",
    "QLinearConcat",
    "QLinearSoftmax",
    "QLinearReduceMean",
    "QLinearWhere",
    "QAttention",
    "ConvInteger",
    "MatMulInteger",
    "MatMulIntegerToFloat",
    "DynamicQuantizeMatMul",
    "DynamicQuantizeLSTM",
    "DynamicQuantizeConvInteger",
}


@dataclass(frozen=True)
class QuantizeOptions:
    """What to produce; the defaults are ``mcuai quantize``'s."""

    format: str = "qdq"  # "qdq" | "qoperator"
    per_channel: bool = True  # weights per output channel (Conv, Gemm, MatMul)
    activation_type: str = "int8"  # "int8" | "uint8" (asymmetric)
    weight_type: str = "int8"  # "int8" (symmetric) | "uint8" (asymmetric)
    method: str = "minmax"  # calibration: "minmax" | "entropy" | "percentile"
    reduce_range: bool = False  # 7-bit weights (old x86 without VNNI; not needed on MCUs)

    def check(self) -> None:
        for what, value, allowed in (
            ("--format", self.format, FORMATS),
            ("--activation-type", self.activation_type, ACTIVATION_TYPES),
            ("--weight-type", self.weight_type, WEIGHT_TYPES),
            ("--method", self.method, METHODS),
        ):
            if value not in allowed:
                raise UsageError(f"{what} {value!r}: choose one of {', '.join(allowed)}")

    def describe(self) -> str:
        w = "symmetric" if self.weight_type == "int8" else "asymmetric"
        return (
            f"{self.format.upper() if self.format == 'qdq' else 'QOperator'}, "
            f"{self.weight_type} {w} weights "
            f"{'per channel' if self.per_channel else 'per tensor'}"
            f"{' (7-bit range)' if self.reduce_range else ''}, "
            f"{self.activation_type} asymmetric activations, {self.method} calibration"
        )


@dataclass
class QuantizeReport:
    """What ``mcuai quantize`` did and how far the quantized model is from the float one."""

    model: str
    output: str
    options: QuantizeOptions
    calibration: str
    calibration_samples: int
    evaluated_on: str  # "calibration data" or the -vi file
    samples: int
    rows: list[Metrics]  # one per model output: quantized vs float
    quantized_ops: dict[str, int] = field(default_factory=dict)  # op histogram of the output
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "mcuai", "version": __version__},
            "model": self.model,
            "output": self.output,
            "options": asdict(self.options),
            "calibration": self.calibration,
            "calibration_samples": self.calibration_samples,
            "evaluated_on": self.evaluated_on,
            "samples": self.samples,
            "rows": [{"output": i, **m.to_json()} for i, m in enumerate(self.rows)],
            "quantized_ops": self.quantized_ops,
            "warnings": self.warnings,
            "seconds": self.seconds,
        }


# ---------------------------------------------------------------------------------------------
# the float model


@dataclass(frozen=True)
class _FloatModel:
    path: Path
    proto: Any  # onnx.ModelProto
    inputs: list[Tensor]  # descriptors for load_inputs: ONNX name, static shape, dtype
    outputs: list[str]


def _read_float_model(path: Path) -> _FloatModel:
    import onnx

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a directory, not a model file") from None
    except OSError as e:
        raise ModelError(f"{path}: cannot read ({e.strerror})") from None
    if len(data) >= 8 and data[4:8] == b"TFL3":
        raise UsageError(
            f"{path}: is a TFLite model; mcuai quantize takes a float ONNX model (quantize "
            "TFLite models with the TFLite converter)"
        )
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:
        raise ModelError(f"{path}: not an ONNX model (the protobuf does not parse)") from None
    if not model.HasField("graph") or not model.opset_import:
        raise ModelError(f"{path}: not an ONNX model (no graph or no opset)")
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        try:
            model = onnx.load(str(path))
        except Exception as e:
            raise ModelError(f"{path}: cannot read the model's external data ({e})") from None
    counts: dict[str, int] = {}
    first = ""
    for n in model.graph.node:
        if n.op_type in _QUANTIZED_OPS:
            counts[n.op_type] = counts.get(n.op_type, 0) + 1
            first = first or (n.name or n.op_type)
    if counts:
        ops = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
        raise UsageError(
            f"{path}: the model is quantized already ({ops}, e.g. node '{first}'); "
            "mcuai quantize takes a float model"
        )
    inits = {t.name for t in model.graph.initializer}
    inputs: list[Tensor] = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        try:
            dt = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type))
        except Exception:
            dt = None
        if dt is None or dt != np.float32:
            raise UsageError(
                f"{path}: input '{vi.name}' is not float32 ({dt}); mcuai quantize takes models "
                "with float32 inputs"
            )
        shape: list[int] = []
        for ax, d in enumerate(tt.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            elif ax == 0:
                shape.append(1)  # a dynamic batch: one sample at a time
            else:
                raise UsageError(
                    f"{path}: input '{vi.name}' has the dynamic dimension "
                    f"'{d.dim_param or '?'}' at axis {ax}; fix it first (python -m "
                    "onnxruntime.tools.make_dynamic_shape_fixed)"
                )
        inputs.append(Tensor(vi.name, tuple(shape), DType.FLOAT32))
    if not inputs:
        raise ModelError(f"{path}: the model has no inputs")
    return _FloatModel(path, model, inputs, [o.name for o in model.graph.output])


# ---------------------------------------------------------------------------------------------
# data


def _load_data(npz: Path, model: _FloatModel) -> list[np.ndarray]:
    """Samples for every model input (batched layout, float32) from ``npz``; any problem is a
    :class:`UsageError` naming the file (and the key, see ``load_inputs``)."""
    arrays = load_inputs(npz, model.inputs)
    for a, t in zip(arrays, model.inputs, strict=True):
        if not np.isfinite(a).all():
            raise UsageError(f"{npz}: the data of input {t.name!r} contains NaN or infinity")
    return arrays


def _feeds(arrays: list[np.ndarray], model: _FloatModel, k: int) -> dict[str, np.ndarray]:
    return {
        t.name: np.ascontiguousarray(a[k].reshape(t.shape), dtype=np.float32)
        for a, t in zip(arrays, model.inputs, strict=True)
    }


class _Reader:
    """ONNX Runtime's ``CalibrationDataReader`` protocol (``get_next``) over the samples."""

    def __init__(self, arrays: list[np.ndarray], model: _FloatModel) -> None:
        self._arrays = arrays
        self._model = model
        self._n = int(arrays[0].shape[0])
        self._k = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._k >= self._n:
            return None
        self._k += 1
        return _feeds(self._arrays, self._model, self._k - 1)

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        item = self.get_next()
        if item is None:
            raise StopIteration
        return item

    def __len__(self) -> int:
        return self._n

    def rewind(self) -> None:
        self._k = 0


# ---------------------------------------------------------------------------------------------
# ONNX Runtime


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """ONNX Runtime's quantizer logs advice through the root logger: keep it off the terminal
    for the duration of the call (restored afterwards)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _session(model: Path | bytes, what: str) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    try:
        src = str(model) if isinstance(model, Path) else model
        return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise McuaiError(f"ONNX Runtime cannot load {what}: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    text = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
    return text if len(text) <= 300 else text[:297] + "..."


def _run_all(session: Any, arrays: list[np.ndarray], model: _FloatModel, what: str) -> list[Any]:
    """Outputs of every sample: ``[output][sample]``."""
    n = int(arrays[0].shape[0])
    outs: list[list[np.ndarray]] = []
    for k in range(n):
        try:
            got = session.run(None, _feeds(arrays, model, k))
        except Exception as e:
            raise McuaiError(f"ONNX Runtime failed to run {what}: {_first_line(e)}") from None
        if not outs:
            outs = [[] for _ in got]
        for o, v in zip(outs, got, strict=True):
            o.append(np.asarray(v))
    return outs


def _compare(
    quantized: list[list[np.ndarray]], reference: list[list[np.ndarray]], names: list[str]
) -> list[Metrics]:
    rows: list[Metrics] = []
    for name, q, r in zip(names, quantized, reference, strict=True):
        shape = tuple(int(d) for d in r[0].shape)
        t = Tensor(name, shape, DType.FLOAT32)
        p = np.stack([x.reshape(shape) for x in q]).astype(np.float64)
        ref = np.stack([x.reshape(shape) for x in r]).astype(np.float64)
        rows.append(compute_metrics(p, ref, t))
    return rows


def _qtype(name: str) -> Any:
    from onnxruntime.quantization import QuantType

    return {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}[name]


def _quantize_with_ort(
    src: _FloatModel,
    reader: _Reader,
    options: QuantizeOptions,
    tmp: Path,
    warnings: list[str],
) -> Path:
    """Pre-process and quantize ``src`` into ``tmp``; returns the quantized model's path."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    original = tmp / "float.onnx"
    original.write_bytes(src.proto.SerializeToString())
    pre = tmp / "preprocessed.onnx"
    # symbolic shape inference (for transformers) needs sympy, which ONNX Runtime no longer
    # installs: without it, pre-process with ONNX's shape inference only
    symbolic = importlib.util.find_spec("sympy") is not None
    with _quiet_logging():
        try:
            quant_pre_process(str(original), str(pre), skip_symbolic_shape=not symbolic)
        except Exception as e:
            warnings.append(
                "ONNX Runtime's quant_pre_process failed "
                f"({_first_line(e)}); the model was quantized without it"
            )
            pre = original
        out = tmp / "quantized.onnx"
        method = {
            "minmax": CalibrationMethod.MinMax,
            "entropy": CalibrationMethod.Entropy,
            "percentile": CalibrationMethod.Percentile,
        }[options.method]
        fmt = QuantFormat.QDQ if options.format == "qdq" else QuantFormat.QOperator
        try:
            # entropy and percentile calibration print their progress on stdout
            with contextlib.redirect_stdout(io.StringIO()):
                quantize_static(
                    str(pre),
                    str(out),
                    reader,
                    quant_format=fmt,
                    per_channel=options.per_channel,
                    reduce_range=options.reduce_range,
                    activation_type=_qtype(options.activation_type),
                    weight_type=_qtype(options.weight_type),
                    calibrate_method=method,
                )
        except Exception as e:
            raise McuaiError(
                f"{src.path}: ONNX Runtime's quantize_static failed: {_first_line(e)}"
            ) from None
    if not out.is_file():
        raise McuaiError(f"{src.path}: ONNX Runtime's quantize_static wrote no model")
    return out


def _write_atomically(data: bytes, target: Path) -> None:
    """Write ``data`` to a new file next to ``target`` (mode 0666 less the umask, like any new
    file), then rename it over ``target``: readers see the old file or the whole new one."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        tmp.replace(target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise McuaiError(f"{target}: cannot write ({e.strerror})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _op_histogram(data: bytes) -> dict[str, int]:
    import onnx

    m = onnx.load_model_from_string(data)
    hist: dict[str, int] = {}
    for n in m.graph.node:
        hist[n.op_type] = hist.get(n.op_type, 0) + 1
    return dict(sorted(hist.items()))


def _deployable(path: Path) -> str | None:
    """Why mcuai's importer refuses the quantized model, or None when it reads it."""
    from mcuai.api import load_model

    try:
        load_model(path)
    except McuaiError as e:
        return str(e)
    return None


# ---------------------------------------------------------------------------------------------
# the command


def quantize_model(
    model: str | Path,
    calib: str | Path,
    output: str | Path,
    options: QuantizeOptions | None = None,
    vi: str | Path | None = None,
) -> QuantizeReport:
    """Quantize the float ONNX model ``model`` with calibration data ``calib`` (``.npz``) into
    ``output`` and report float-vs-quantized metrics on ``calib`` (or on ``vi``).

    Raises :class:`UsageError` for bad options, an already quantized model and bad data files
    (naming the file and key), :class:`ModelError` for an unreadable model, and
    :class:`McuaiError` when ONNX Runtime fails; in every such case ``output`` is untouched.
    """
    opts = options or QuantizeOptions()
    opts.check()
    src_path, out_path = Path(model), Path(output)
    calib_path = Path(calib)
    vi_path = None if vi is None else Path(vi)
    if out_path.exists() and out_path.is_dir():
        raise UsageError(f"{out_path}: is a directory; give the file to write (-o model.onnx)")
    if not out_path.parent.is_dir():
        raise UsageError(f"{out_path}: the folder {out_path.parent} does not exist")
    if out_path.exists() and src_path.exists() and out_path.resolve() == src_path.resolve():
        raise UsageError(f"{out_path}: is the input model; write the quantized model elsewhere")
    seconds: dict[str, float] = {}
    warnings: list[str] = []

    src = _read_float_model(src_path)
    calib_data = _load_data(calib_path, src)
    eval_data = calib_data if vi_path is None else _load_data(vi_path, src)

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mcuai-quantize-") as tmp:
        reader = _Reader(calib_data, src)
        qpath = _quantize_with_ort(src, reader, opts, Path(tmp), warnings)
        seconds["quantize"] = round(time.perf_counter() - t0, 3)
        data = qpath.read_bytes()
        t0 = time.perf_counter()
        float_sess = _session(src.proto.SerializeToString(), f"{src.path}")
        quant_sess = _session(data, "the quantized model")
        ref = _run_all(float_sess, eval_data, src, f"{src.path}")
        got = _run_all(quant_sess, eval_data, src, "the quantized model")
        rows = _compare(got, ref, src.outputs)
        seconds["evaluate"] = round(time.perf_counter() - t0, 3)
        _write_atomically(data, out_path)
    problem = _deployable(out_path)
    if problem is not None:
        warnings.append(f"mcuai cannot deploy the quantized model yet: {problem}")
    return QuantizeReport(
        model=str(src_path),
        output=str(out_path),
        options=opts,
        calibration=str(calib_path),
        calibration_samples=int(calib_data[0].shape[0]),
        evaluated_on="calibration data" if vi_path is None else str(vi_path),
        samples=int(eval_data[0].shape[0]),
        rows=rows,
        quantized_ops=_op_histogram(data),
        warnings=warnings,
        seconds=seconds,
    )


# ---------------------------------------------------------------------------------------------
# terminal output


def print_quantization(r: QuantizeReport, console: Any) -> None:
    """Render ``r`` on a rich ``Console``: what was written, and the metrics per output."""
    from rich.markup import escape
    from rich.table import Table

    from mcuai.validate.metrics import format_metric

    console.print(
        f"quantized [bold]{escape(r.model)}[/] -> [bold]{escape(r.output)}[/] "
        f"({escape(r.options.describe())}; calibrated on {r.calibration_samples} sample(s) of "
        f"{escape(r.calibration)})"
    )
    console.print(f"quantized vs float on {r.samples} sample(s) of {escape(r.evaluated_on)}:")
    t = Table()
    t.add_column("metric")
    for m in r.rows:
        t.add_column(escape(m.tensor), justify="right", overflow="fold")
    for key in ("rmse", "mae", "mean", "std", "nse", "l2r", "cos"):
        t.add_row(key, *(format_metric(getattr(m, key)) for m in r.rows))
    if any(m.acc is not None for m in r.rows):
        t.add_row("acc", *("n/a" if m.acc is None else f"{100 * m.acc:.2f}%" for m in r.rows))
    console.print(t)
    ops = ", ".join(f"{k} {v}" for k, v in r.quantized_ops.items())
    console.print(f"ops of the quantized model: {escape(ops)}")
