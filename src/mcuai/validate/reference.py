"""Run the original model in its own runtime: the golden reference of ``mcuai validate``.

TFLite models run in LiteRT with the *reference* kernels
(``OpResolverType.BUILTIN_REF``), never the default resolver: XNNPACK and the optimized kernels
differ from the reference by a few LSB on many real models (DESIGN §3). When LiteRT cannot load
a model (e.g. TFLite Micro models with per-channel quantization metadata LiteRT rejects, or
TFLM-only custom ops) the model runs in TFLite Micro's Python interpreter instead, and
:attr:`Reference.name` says so. TFLite Micro and LiteRT's reference kernels agree bit-exactly on
the corpus.

Both runners take and return arrays in the *batched layout* of
:func:`mcuai.validate.data.batched_shape` (``[N, ...]``: the leading batch dimension of 1
replaced by the number of samples) and the model's raw I/O dtypes, in model I/O order. Each
sample is one inference on an interpreter allocated once; variable (state) tensors are reset
before every sample, so samples are independent.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mcuai.errors import McuaiError, ModelError
from mcuai.validate.data import batched_shape

__all__ = ["Reference", "TensorInfo", "tflite_reference"]

PIP_HINT = "pip install ai-edge-litert  (or: pip install tflite-micro)"

_ITEMSIZE = {  # TFLite TensorType -> bytes per element (for arena estimates only)
    0: 4,  # FLOAT32
    1: 2,  # FLOAT16
    2: 4,  # INT32
    3: 1,  # UINT8
    4: 8,  # INT64
    6: 1,  # BOOL
    7: 2,  # INT16
    9: 1,  # INT8
    10: 8,  # FLOAT64
}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of subgraph 0 as the flatbuffer describes it."""

    index: int
    name: str  # the TFLite name, or ``tensor_<index>`` when it has none (as the importer)
    shape: tuple[int, ...]
    nbytes: int
    is_const: bool


@dataclass(frozen=True)
class _ModelInfo:
    tensors: list[TensorInfo]
    inputs: list[int]
    outputs: list[int]


class Reference(ABC):
    """A model running in its original runtime.

    ``name`` says which runtime (e.g. ``"LiteRT 2.3.0 BUILTIN_REF"``); ``fallback_reason`` is
    None, or why the preferred runtime (LiteRT) could not run the model.
    """

    name: str
    fallback_reason: str | None = None

    def __init__(self, info: _ModelInfo) -> None:
        self._info = info
        self._in_shapes: list[tuple[int, ...]] = []
        self._in_dtypes: list[np.dtype[Any]] = []
        self._out_shapes: list[tuple[int, ...]] = []
        # non-constant tensors of subgraph 0, keyed by name (a repeated name gets "#<index>")
        self._activations: dict[str, TensorInfo] = {}
        for t in info.tensors:
            if not t.is_const:
                key = t.name if t.name not in self._activations else f"{t.name}#{t.index}"
                self._activations[key] = t

    @property
    def input_names(self) -> list[str]:
        return [self._info.tensors[i].name for i in self._info.inputs]

    @property
    def output_names(self) -> list[str]:
        return [self._info.tensors[i].name for i in self._info.outputs]

    # -- what each runtime provides ---------------------------------------------------------

    @abstractmethod
    def _invoke(self, sample: list[np.ndarray]) -> None:
        """Reset state, set every input (exact model shapes and dtypes) and run once."""

    @abstractmethod
    def _output(self, i: int) -> np.ndarray:
        """Output ``i`` of the last invocation."""

    @abstractmethod
    def _intermediate_runner(self) -> Reference:
        """A runner (maybe ``self``) whose :meth:`_tensor` works for every tensor."""

    @abstractmethod
    def _tensor(self, index: int) -> np.ndarray | None:
        """Tensor ``index`` after the last invocation, or None if the runtime has no data."""

    # -- the public API ---------------------------------------------------------------------

    def _samples(self, inputs: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
        if len(inputs) != len(self._in_shapes):
            raise ValueError(f"the model has {len(self._in_shapes)} inputs, got {len(inputs)}")
        n = int(inputs[0].shape[0]) if inputs[0].ndim else 0
        if n < 1:
            raise ValueError("no samples to run")
        for i, (a, shape, dt) in enumerate(
            zip(inputs, self._in_shapes, self._in_dtypes, strict=True)
        ):
            want = batched_shape(shape, n)
            if a.shape != want or a.dtype != dt:
                raise ValueError(
                    f"input {i} ({self.input_names[i]!r}) must be {dt}{list(want)}, "
                    f"got {a.dtype}{list(a.shape)}"
                )
        for k in range(n):
            yield [
                np.ascontiguousarray(a[k].reshape(shape))
                for a, shape in zip(inputs, self._in_shapes, strict=True)
            ]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Run every sample; ``inputs`` and the result are in the batched layout (``[N, ...]``)
        and the model's raw dtypes, in model I/O order."""
        outs: list[list[np.ndarray]] = [[] for _ in self._out_shapes]
        for sample in self._samples(inputs):
            self._invoke(sample)
            for i, o in enumerate(outs):
                o.append(np.array(self._output(i), copy=True))
        return [_stack(o, shape) for o, shape in zip(outs, self._out_shapes, strict=True)]

    def run_intermediates(self, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Run every sample and return every non-constant tensor of subgraph 0 (activations,
        including the model's inputs and outputs) that the runtime holds data for, keyed by
        TFLite tensor name, in the batched layout. Weights and biases are not included (they do
        not depend on the inputs; the IR holds them)."""
        runner = self._intermediate_runner()
        got: dict[str, list[np.ndarray]] = {}
        missing: set[str] = set()
        for sample in runner._samples(inputs):
            runner._invoke(sample)
            for key, t in self._activations.items():
                if key in missing:
                    continue
                v = runner._tensor(t.index)
                if v is None or v.size != int(np.prod(t.shape, dtype=np.int64)):
                    missing.add(key)
                    got.pop(key, None)
                    continue
                got.setdefault(key, []).append(np.array(v, copy=True))
        return {key: _stack(vals, self._activations[key].shape) for key, vals in got.items()}


def _stack(samples: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return np.stack([s.reshape(shape) for s in samples]).reshape(batched_shape(shape, len(samples)))


# ---------------------------------------------------------------------------------------------
# LiteRT


class _LiteRTReference(Reference):
    def __init__(self, data: bytes, info: _ModelInfo) -> None:
        super().__init__(info)
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        with _captured_stderr():
            interp = Interpreter(
                model_content=data,
                experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                experimental_preserve_all_tensors=True,
            )
            interp.allocate_tensors()
        self._interp = interp
        ins = interp.get_input_details()
        outs = interp.get_output_details()
        self._in_idx = [int(d["index"]) for d in ins]
        self._out_idx = [int(d["index"]) for d in outs]
        self._in_shapes = [tuple(int(x) for x in d["shape"]) for d in ins]
        self._in_dtypes = [np.dtype(d["dtype"]) for d in ins]
        self._out_shapes = [tuple(int(x) for x in d["shape"]) for d in outs]
        self.name = f"LiteRT {_version('ai-edge-litert')} BUILTIN_REF"

    def _invoke(self, sample: list[np.ndarray]) -> None:
        self._interp.reset_all_variables()
        for idx, a in zip(self._in_idx, sample, strict=True):
            self._interp.set_tensor(idx, a)
        try:
            self._interp.invoke()
        except (RuntimeError, ValueError) as e:
            raise McuaiError(f"{self.name} failed to run the model: {_first_line(e)}") from None

    def _output(self, i: int) -> np.ndarray:
        out: np.ndarray = self._interp.get_tensor(self._out_idx[i])
        return out

    def _intermediate_runner(self) -> Reference:
        return self  # created with experimental_preserve_all_tensors=True

    def _tensor(self, index: int) -> np.ndarray | None:
        try:
            v: np.ndarray = self._interp.get_tensor(index)
        except ValueError:  # "Tensor data is null": an unused or optional tensor
            return None
        return v


# ---------------------------------------------------------------------------------------------
# TFLite Micro

_MIN_ARENA = 64 << 10
_MAX_ARENA = 1 << 30


class _TFLMReference(Reference):
    """TFLite Micro's Python interpreter.

    The arena size is found by doubling from 64 KiB until allocation succeeds (the
    interpreter prints why it failed; that text is captured, not shown). That interpreter uses
    TFLM's default (recording) allocator, whose arena reuses memory, so intermediate tensors
    are overwritten; :meth:`run_intermediates` runs a second interpreter, made on first use with
    ``kPreserveAllTensors`` and an arena large enough to hold every activation at once.
    """

    def __init__(
        self, data: bytes, info: _ModelInfo, preserve: bool = False, arena: int = _MIN_ARENA
    ) -> None:
        super().__init__(info)
        from tflite_micro.python.tflite_micro import runtime

        self._data = data
        self._preserve_runner: _TFLMReference | None = None
        config = (
            runtime.InterpreterConfig.kPreserveAllTensors
            if preserve
            else runtime.InterpreterConfig.kAllocationRecording
        )
        self.arena_size = arena
        self._interp = self._create(runtime, config, tries=4 if preserve else 64)
        ins = [self._interp.get_input_details(i) for i in range(len(info.inputs))]
        outs = [self._interp.get_output_details(i) for i in range(len(info.outputs))]
        self._in_shapes = [tuple(int(x) for x in d["shape"]) for d in ins]
        self._in_dtypes = [np.dtype(d["dtype"]) for d in ins]
        self._out_shapes = [tuple(int(x) for x in d["shape"]) for d in outs]
        self.name = f"TFLite Micro {_version('tflite-micro')}"

    def _create(self, runtime: Any, config: Any, tries: int) -> Any:
        """An interpreter with the smallest arena ``arena_size * 2**k`` (k < tries) that works."""
        text = ""
        for _ in range(tries):
            failure = ""
            interp = None
            with _captured_stderr() as err:
                try:
                    interp = runtime.Interpreter.from_bytes(
                        self._data, arena_size=self.arena_size, intrepreter_config=config
                    )
                except (RuntimeError, ValueError) as e:
                    failure = str(e)
            if interp is not None:
                return interp
            text = err.text.strip() or failure
            # only an arena that is too small is worth another try
            if not re.search(r"allocate|resize|missing", text, re.IGNORECASE):
                break
            if self.arena_size * 2 > _MAX_ARENA:
                break
            self.arena_size *= 2
        raise McuaiError(f"TFLite Micro cannot run the model: {_summary(text)}")

    def _invoke(self, sample: list[np.ndarray]) -> None:
        self._interp.reset()
        for i, a in enumerate(sample):
            self._interp.set_input(a, i)
        try:
            self._interp.invoke()
        except (RuntimeError, ValueError) as e:
            raise McuaiError(f"{self.name} failed to run the model: {_first_line(e)}") from None

    def _output(self, i: int) -> np.ndarray:
        out: np.ndarray = self._interp.get_output(i)
        return out

    def _intermediate_runner(self) -> Reference:
        if self._preserve_runner is None:
            # every activation at once plus room for TFLM's own (larger, 64-bit host) structs;
            # an arena too small for those can crash the interpreter in this mode: be generous
            arena = _preserve_arena(self._info, 4 * self.arena_size)
            runner = _TFLMReference(self._data, self._info, preserve=True, arena=arena)
            runner.name = self.name
            self._preserve_runner = runner
        return self._preserve_runner

    def _tensor(self, index: int) -> np.ndarray | None:
        # GetTensor with an index past the subgraph's tensors crashes; indices come from the
        # flatbuffer, so they are in range
        try:
            d = self._interp.GetTensor(index, 0)
        except (RuntimeError, ValueError):
            return None
        v = d.get("tensor_data") if isinstance(d, dict) else None
        return v if isinstance(v, np.ndarray) else None


def _preserve_arena(info: _ModelInfo, extra: int) -> int:
    act = sum((t.nbytes + 15) // 16 * 16 for t in info.tensors if not t.is_const)
    return act + extra + _MIN_ARENA


# ---------------------------------------------------------------------------------------------
# helpers


class _Captured:
    text = ""


@contextlib.contextmanager
def _captured_stderr() -> Iterator[_Captured]:
    """Capture what native code writes to file descriptor 2 (the runtimes print their errors
    there), so that it can go into an error message instead of the user's terminal."""
    cap = _Captured()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (embedded interpreters): nothing to capture
        yield cap
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield cap
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            cap.text = tmp.read().decode("utf-8", errors="replace")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"


def _first_line(e: BaseException) -> str:
    return _summary(str(e))


def _summary(text: str) -> str:
    """First line of a runtime's message, cut where LiteRT glues repeats of it together
    (``"...Was 3.Tensor 36 has..."``), at most 200 characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "") or "unknown error"
    m = re.match(r"(.+?\.)(?=[A-Z])", line)
    if m:
        line = m.group(1)
    return line if len(line) <= 200 else line[:197] + "..."


def _schema() -> Any:
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError:
        try:
            from tflite_micro.tensorflow.lite.micro.python import schema_py_generated
        except ImportError:
            raise McuaiError(f"no TFLite reference runtime is installed: {PIP_HINT}") from None
    return schema_py_generated


def _model_info(data: bytes, path: Path) -> _ModelInfo:
    """Names, shapes and constness of the tensors of subgraph 0 (non-object API: fast)."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{path}: not a TFLite flatbuffer (no TFL3 file identifier)")
    schema = _schema()
    try:
        model = schema.Model.GetRootAsModel(data, 0)
        if model.SubgraphsLength() < 1:
            raise ModelError(f"{path}: the model has no subgraph")
        sg = model.Subgraphs(0)
        nbuf = model.BuffersLength()
        tensors: list[TensorInfo] = []
        for i in range(sg.TensorsLength()):
            t = sg.Tensors(i)
            raw = t.Name()
            name = raw.decode("utf-8", errors="replace") if raw else ""
            shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
            b = int(t.Buffer())
            const = False
            if 0 < b < nbuf and not t.IsVariable():
                buf = model.Buffers(b)
                const = buf.DataLength() > 0 or int(buf.Offset()) > 1
            n = int(np.prod(shape, dtype=np.int64)) if shape else 1
            tensors.append(
                TensorInfo(i, name or f"tensor_{i}", shape, n * _ITEMSIZE.get(t.Type(), 4), const)
            )
        inputs = [int(x) for x in sg.InputsAsNumpy()] if sg.InputsLength() else []
        outputs = [int(x) for x in sg.OutputsAsNumpy()] if sg.OutputsLength() else []
    except ModelError:
        raise
    except Exception as e:  # anything inside the generated parser means a corrupt file
        raise ModelError(f"{path}: corrupt TFLite flatbuffer ({type(e).__name__}: {e})") from None
    for i in inputs + outputs:
        if not 0 <= i < len(tensors):
            raise ModelError(f"{path}: model input/output tensor index {i} is out of range")
    return _ModelInfo(tensors, inputs, outputs)


def tflite_reference(
    path: str | Path, runtime: Literal["auto", "litert", "tflm"] = "auto"
) -> Reference:
    """The reference runner of a ``.tflite`` model, allocated once.

    ``runtime="auto"`` uses LiteRT with the reference kernels and falls back to TFLite Micro
    when LiteRT is not installed or refuses the model (the reason goes into ``name`` and
    ``fallback_reason``); ``"litert"`` / ``"tflm"`` force one runtime. Raises
    :class:`ModelError` for a missing or corrupt file and :class:`McuaiError` when no runtime
    can run the model (with the pip command when none is installed).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{p}: is a directory, not a model file") from None
    except OSError as e:
        raise ModelError(f"{p}: cannot read ({e.strerror})") from None
    info = _model_info(data, p)

    litert_problem: str | None = None
    if runtime in ("auto", "litert"):
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError:
            litert_problem = "LiteRT (ai-edge-litert) is not installed"
        else:
            try:
                return _LiteRTReference(data, info)
            except (RuntimeError, ValueError) as e:
                litert_problem = (
                    f"LiteRT {_version('ai-edge-litert')} refused the model: {_first_line(e)}"
                )
        if runtime == "litert":
            hint = f"; {PIP_HINT}" if "not installed" in litert_problem else ""
            raise McuaiError(f"{p}: {litert_problem}{hint}")

    try:
        import tflite_micro.python.tflite_micro.runtime  # noqa: F401
    except ImportError:
        if litert_problem is None or "not installed" in litert_problem:
            raise McuaiError(f"no TFLite reference runtime is installed: {PIP_HINT}") from None
        raise McuaiError(
            f"{p}: {litert_problem}, and TFLite Micro (tflite-micro), the fallback, is not "
            "installed: pip install tflite-micro"
        ) from None
    try:
        ref = _TFLMReference(data, info)
    except McuaiError as e:
        if litert_problem is None:
            raise McuaiError(f"{p}: {e}") from None
        raise McuaiError(f"{p}: {litert_problem}; {e}") from None
    if litert_problem is not None:
        ref.fallback_reason = litert_problem
        ref.name = f"{ref.name} (fallback: {litert_problem})"
    return ref
