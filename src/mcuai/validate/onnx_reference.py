"""ONNX Runtime as the golden reference of ONNX models (DESIGN §3).

The reference is what users compare against: ONNX Runtime's CPU execution provider with its
*default* graph optimizations (``ORT_ENABLE_ALL``), which turn ``DQ -> op -> Q`` groups into
integer kernels (``QLinearConv``, ``QGemm``, ``QLinearAdd``, ...). :meth:`OnnxReference.run`
runs exactly that session, sample by sample, on inputs in the model's own layout (NCHW for
image models) and dtypes, in the batched layout of :func:`mcuai.validate.data.batched_shape`.

Intermediate tensors
--------------------
A tensor is read out of ONNX Runtime by making it a graph output, and that can change what the
optimizer does, hence the numerics. Measured on ORT 1.32 (x86-64):

- making a ``QuantizeLinear`` output a graph output (or giving it a second consumer) stops
  ``QDQS8ToU8Transformer`` from turning that int8 Q/DQ pair into uint8, and on x86 the QDQ
  ``Conv`` fusion only takes uint8 activations: the ``Conv`` then runs in float and the model's
  outputs change;
- making a ``DequantizeLinear`` output, or any float tensor inside a fusion group, a graph
  output stops that fusion;
- a float tensor that survives optimization under its own name can still gate a rewrite
  (e.g. ``Relu`` folded into the following ``QuantizeLinear``).

So the probe model of :meth:`OnnxReference.run_intermediates` is built like this:

1. the default session writes its optimized graph (``optimized_model_filepath``);
2. where ONNX Runtime converted int8 Q/DQ pairs to uint8 (its ``qdq_s8_to_u8`` initializers are
   in the optimized graph), the probe model does that same conversion itself, with ONNX
   Runtime's rule (a ``QuantizeLinear`` with a constant scalar int8 zero point whose only
   consumer is one ``DequantizeLinear`` with the same zero point gets the zero point + 128 as
   uint8, both nodes): an exact rewrite (``u8 = s8 + 128`` for every value), after which
   exposing the (now uint8) tensor no longer blocks anything; the values are shifted back to
   int8 when read;
3. exposed are the *quantized* tensors (integer outputs of ``QuantizeLinear``, of QOperator
   ops and of data-movement ops on integers), which are fusion boundaries, and float tensors
   that exist under their own name in the optimized graph (float fallback regions, the
   dequantized model outputs);
4. the probe is accepted only if its optimized graph runs the same compute kernels as the
   default session's (the op histogram without Transpose/Q/DQ/Identity, which exposure may
   add or keep for data movement, all exact) and, sample by sample, the model outputs equal
   the default session's bit for bit. Otherwise it retries with fewer tensors (no float
   tensors; then no s8->u8 emulation and only tensors that keep their name; then none: only
   the model's inputs and outputs). :attr:`OnnxReference.probe_level` says which level held.

Integer tensors fused into a kernel keep their values: ``QLinearConv`` writes exactly the
tensor the ``QuantizeLinear`` of its group names. Float tensors inside fused groups (the
``DQ`` outputs, the float result of the op before its ``Q``) do not exist in the reference
and are not returned.
"""

from __future__ import annotations

import collections
import importlib.metadata
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcuai.errors import McuaiError, ModelError
from mcuai.validate.data import batched_shape
from mcuai.validate.reference import Reference, _captured_stderr, _first_line, _ModelInfo

__all__ = ["OnnxReference", "onnx_reference"]

PIP_HINT = "pip install onnxruntime"
MS_DOMAIN = "com.microsoft"

#: ONNX Runtime type strings of the tensors a model may take or give.
_ORT_TYPES: dict[str, np.dtype[Any]] = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(double)": np.dtype(np.float64),
    "tensor(float16)": np.dtype(np.float16),
    "tensor(int8)": np.dtype(np.int8),
    "tensor(uint8)": np.dtype(np.uint8),
    "tensor(int16)": np.dtype(np.int16),
    "tensor(uint16)": np.dtype(np.uint16),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(uint32)": np.dtype(np.uint32),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(uint64)": np.dtype(np.uint64),
    "tensor(bool)": np.dtype(np.bool_),
}

#: Element types worth reading out: quantized data (not shapes and indices, int64/bool).
_QUANT_TYPES = {np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32)}

#: QOperator ops of ONNX Runtime: input position of the zero point of their output.
_QOP_OUT_ZP = {
    "QLinearConv": 7,
    "QLinearMatMul": 7,
    "QGemm": 8,
    "QLinearAdd": 7,
    "QLinearMul": 7,
    "QLinearAveragePool": 4,
    "QLinearGlobalAveragePool": 4,
    "QLinearSigmoid": 4,
    "QLinearLeakyRelu": 4,
    "QLinearSoftmax": 4,
    "QLinearConcat": 1,
}

#: Ops left out of the kernel histogram that proves a probe computes like the reference:
#: exposure may add or keep data movement and (de)quantization of exposed tensors, all exact.
_NEUTRAL_OPS = {"Transpose", "QuantizeLinear", "DequantizeLinear", "Identity"}

#: The levels of :attr:`OnnxReference.probe_level`, most tensors first.
LEVELS = (
    "quantized and float tensors",
    "quantized tensors",
    "tensors that keep their name",
    "model inputs and outputs only",
)


def _version() -> str:
    try:
        return importlib.metadata.version("onnxruntime")
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"


def _ort() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise McuaiError(
            f"ONNX Runtime, the reference of ONNX models, is not installed: {PIP_HINT}"
        ) from None
    return onnxruntime


def _static_shape(shape: Any) -> tuple[int, ...]:
    """A session input's shape with dynamic dimensions (names or None) as 1, like the importer
    (which takes a dynamic batch as 1 and refuses other dynamic dimensions)."""
    return tuple(d if isinstance(d, int) and d > 0 else 1 for d in shape)


@dataclass
class _Probe:
    """The session that reads intermediate tensors, and how to read them."""

    session: Any
    level: int
    exposed: list[str]  # graph outputs after the model's own, in order
    offsets: dict[str, int] = field(default_factory=dict)  # u8 -> s8: -128


class OnnxReference(Reference):
    """An ONNX model in ONNX Runtime (CPU, ``ORT_ENABLE_ALL``); see the module doc.

    :meth:`run` takes and returns arrays in the batched layout (``[N, ...]``) and the model's
    own dtypes and layout; :meth:`run_intermediates` returns the model's inputs, outputs and
    every intermediate tensor it can read without changing the numerics, keyed by ONNX tensor
    name (quantized tensors as the integers of the ONNX model, e.g. int8 even where ONNX
    Runtime computes in uint8 internally).
    """

    def __init__(self, path: Path, data: bytes) -> None:
        super().__init__(_ModelInfo([], [], []))
        self._path = path
        self._data = data
        self._ort = _ort()
        self.name = f"ONNX Runtime {_version()} CPU (ORT_ENABLE_ALL)"
        self._session = self._make_session(data)
        ins = self._session.get_inputs()
        outs = self._session.get_outputs()
        self._in_names = [str(i.name) for i in ins]
        self._out_names = [str(o.name) for o in outs]
        self._in_shapes = [_static_shape(i.shape) for i in ins]
        dtypes: list[np.dtype[Any]] = []
        for i in ins:
            dt = _ORT_TYPES.get(str(i.type))
            if dt is None:
                raise ModelError(f"{path}: input '{i.name}' has the unsupported type {i.type}")
            dtypes.append(dt)
        self._in_dtypes = dtypes
        self._last: list[np.ndarray] = []
        self._probe: _Probe | None = None
        self.probe_level: str | None = None  # set by run_intermediates

    # -- sessions ----------------------------------------------------------------------------

    def _options(self, save: Path | None = None) -> Any:
        so = self._ort.SessionOptions()
        so.graph_optimization_level = self._ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3  # warnings (e.g. about saving NCHWc graphs) are not ours
        # one intra-op thread: ORT's float convolution splits its output over the threads and
        # picks its summation blocks per slice, so its last bits depend on the host's core
        # count; the generated code reproduces the single-thread order (mcuai.lower.ort)
        so.intra_op_num_threads = 1
        if save is not None:
            so.optimized_model_filepath = str(save)
        return so

    def _make_session(self, data: bytes, save: Path | None = None) -> Any:
        with _captured_stderr():
            try:
                return self._ort.InferenceSession(
                    data, self._options(save), providers=["CPUExecutionProvider"]
                )
            except Exception as e:  # ORT raises its own exception types (Fail, InvalidGraph...)
                raise McuaiError(
                    f"{self._path}: ONNX Runtime {_version()} cannot load the model: "
                    f"{_first_line(e)}"
                ) from None

    # -- Reference ---------------------------------------------------------------------------

    @property
    def input_names(self) -> list[str]:
        return list(self._in_names)

    @property
    def output_names(self) -> list[str]:
        return list(self._out_names)

    def _feeds(self, sample: list[np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self._in_names, sample, strict=True))

    def _invoke(self, sample: list[np.ndarray]) -> None:
        self._last = self._run(self._session, sample)

    def _run(self, session: Any, sample: list[np.ndarray]) -> list[np.ndarray]:
        try:
            out: list[np.ndarray] = session.run(None, self._feeds(sample))
        except Exception as e:
            raise McuaiError(f"{self.name} failed to run the model: {_first_line(e)}") from None
        return out

    def _output(self, i: int) -> np.ndarray:
        return self._last[i]

    def _intermediate_runner(self) -> Reference:
        return self

    def _tensor(self, index: int) -> np.ndarray | None:
        return None  # ONNX tensors have names, not indices: see run_intermediates

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        outs: list[list[np.ndarray]] = [[] for _ in self._out_names]
        for sample in self._samples(inputs):
            self._invoke(sample)
            for o, v in zip(outs, self._last, strict=True):
                o.append(np.array(v, copy=True))
        return [_stack(o) for o in outs]

    def run_intermediates(self, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Run every sample and return the model's inputs, outputs and the intermediate
        tensors the probe of the module doc can read, keyed by ONNX name, in the batched
        layout of each tensor's ONNX shape."""
        samples = list(self._samples(inputs))
        level = 0
        while True:
            probe = self._probe_at(level)
            got = self._read(probe, samples)
            if got is not None:
                self.probe_level = LEVELS[probe.level]
                return got
            level = probe.level + 1  # a model output differed: expose less

    def _read(self, probe: _Probe, samples: list[list[np.ndarray]]) -> dict[str, np.ndarray] | None:
        """Values of every tensor over ``samples``, or None when the probe's model outputs
        differ from the reference session's on some sample."""
        k = len(self._out_names)
        got: dict[str, list[np.ndarray]] = collections.defaultdict(list)
        for sample in samples:
            ref = self._run(self._session, sample)
            vals = self._run(probe.session, sample) if probe.exposed else ref
            if probe.exposed and any(
                not np.array_equal(a, b) for a, b in zip(ref, vals[:k], strict=True)
            ):
                return None
            for name, v in zip(self._in_names, sample, strict=True):
                got[name].append(np.array(v, copy=True))
            for name, v in zip(self._out_names, ref, strict=True):
                got[name].append(np.array(v, copy=True))
            for name, v in zip(probe.exposed, vals[k:], strict=True):
                a = np.asarray(v)
                off = probe.offsets.get(name)
                if off is not None:
                    a = (a.astype(np.int16) + off).astype(np.int8)
                got[name].append(np.array(a, copy=True))
        return {name: _stack(v) for name, v in got.items()}

    # -- the probe ---------------------------------------------------------------------------

    def _probe_at(self, level: int) -> _Probe:
        """The probe at ``level`` or the first lower level (fewer tensors) that passes the
        kernel check; cached."""
        if self._probe is not None and self._probe.level >= level:
            return self._probe
        import onnx

        last = len(LEVELS) - 1
        with tempfile.TemporaryDirectory(prefix="mcuai-ort-") as tmp:
            try:
                model = onnx.load_model_from_string(self._data)
            except Exception as e:
                raise ModelError(f"{self._path}: not a readable ONNX model ({e})") from None
            try:
                ref_graph = self._optimized(self._data, Path(tmp) / "reference.onnx")
            except Exception:  # ORT cannot write this optimized graph: read no intermediates
                level = last
            else:
                kernels = _kernels(ref_graph)
            for lv in range(level, last):
                built = _instrument(model, ref_graph, lv)
                if built is None:
                    continue
                probe_model, exposed, offsets = built
                data = probe_model.SerializeToString()
                try:
                    optimized = self._optimized(data, Path(tmp) / f"probe{lv}.onnx")
                except McuaiError:
                    continue
                if _kernels(optimized) != kernels:
                    continue
                self._probe = _Probe(self._make_session(data), lv, exposed, offsets)
                return self._probe
        self._probe = _Probe(self._session, last, [])
        return self._probe

    def _optimized(self, data: bytes, save: Path) -> Any:
        """The graph ONNX Runtime runs for the model ``data`` (written by the optimizer)."""
        import onnx

        self._make_session(data, save)
        return onnx.load(str(save), load_external_data=False)


def _stack(samples: list[np.ndarray]) -> np.ndarray:
    shape = tuple(int(d) for d in samples[0].shape)
    return np.stack([s.reshape(shape) for s in samples]).reshape(batched_shape(shape, len(samples)))


def _kernels(model: Any) -> collections.Counter[tuple[str, str]]:
    return collections.Counter(
        (n.domain or "", n.op_type) for n in model.graph.node if n.op_type not in _NEUTRAL_OPS
    )


def _elem_types(model: Any) -> dict[str, np.dtype[Any]]:
    """Element types of the model's values: declared, inferred by ONNX, and for QuantizeLinear
    and QOperator outputs (which ONNX's inference may not know) from their zero point."""
    import onnx
    from onnx import numpy_helper

    types: dict[str, np.dtype[Any]] = {}

    def note(vis: Any) -> None:
        for vi in vis:
            if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
                try:
                    types.setdefault(
                        vi.name,
                        np.dtype(
                            onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
                        ),
                    )
                except Exception:  # types numpy has no dtype for (bfloat16, float8, ...)
                    continue

    g = model.graph
    note([*g.input, *g.output, *g.value_info])
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a model ONNX cannot infer still runs; the declared types remain
        inferred = None
    if inferred is not None:
        note(inferred.graph.value_info)
    inits = {t.name: t for t in g.initializer}

    def zp_type(name: str) -> np.dtype[Any] | None:
        t = inits.get(name)
        if t is None:
            return None
        return np.dtype(numpy_helper.to_array(t).dtype)

    for n in g.node:
        if not n.output or not n.output[0] or n.output[0] in types:
            continue
        if n.op_type == "QuantizeLinear":
            dt = zp_type(n.input[2]) if len(n.input) > 2 and n.input[2] else np.dtype(np.uint8)
        elif n.domain == MS_DOMAIN and n.op_type in _QOP_OUT_ZP:
            pos = _QOP_OUT_ZP[n.op_type]
            dt = zp_type(n.input[pos]) if len(n.input) > pos and n.input[pos] else None
        else:
            dt = None
        if dt is not None:
            types[n.output[0]] = dt
    return types


def _instrument(
    model: Any, ref_graph: Any, level: int
) -> tuple[Any, list[str], dict[str, int]] | None:
    """The probe model of ``level`` (see :data:`LEVELS`), the names it exposes and the offsets
    of the tensors it converted to uint8; None when it would expose nothing."""
    import onnx

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    g = probe.graph
    types = _elem_types(model)
    outputs = {o.name for o in g.output}
    inputs = {i.name for i in g.input}
    survivors = {o for n in ref_graph.graph.node for o in n.output if o}
    offsets: dict[str, int] = {}
    converts = level <= 1 and any(
        t.name.startswith("qdq_s8_to_u8") for t in ref_graph.graph.initializer
    )
    if converts:
        offsets = _s8_to_u8(g)
        for vi in list(g.value_info):
            if vi.name in offsets:
                g.value_info.remove(vi)
    exposed: list[str] = []
    for n in g.node:
        for o in n.output:
            if not o or o in outputs or o in inputs or o in exposed:
                continue
            if _wanted(level, types.get(o), o in survivors):
                exposed.append(o)
    if not exposed:
        return None
    for o in exposed:
        g.output.append(onnx.ValueInfoProto(name=o))
    return probe, exposed, offsets


def _wanted(level: int, dt: np.dtype[Any] | None, survives: bool) -> bool:
    """Whether the probe of ``level`` exposes a node output of type ``dt`` (None: unknown)
    that does (``survives``) or does not exist under its name in the optimized graph."""
    if dt is None:
        return False
    if dt in _QUANT_TYPES:
        return level <= 1 or (level == 2 and survives)
    return level == 0 and dt.kind == "f" and survives


def _s8_to_u8(g: Any) -> dict[str, int]:
    """Apply ONNX Runtime's ``QDQS8ToU8Transformer`` rule to graph ``g`` in place: each
    ``QuantizeLinear`` with a constant scalar int8 zero point, not a graph output, whose only
    consumer is one ``DequantizeLinear`` with the same zero point (constant, or none and 0),
    gets the zero point + 128 as uint8, and so does that ``DequantizeLinear``. Returns the
    converted tensors with the offset taking their values back to int8 (-128)."""
    from onnx import numpy_helper

    inits = {t.name: t for t in g.initializer}
    taken = {t.name for t in g.initializer} | {o for n in g.node for o in n.output}
    taken |= {i.name for i in g.input}
    outputs = {o.name for o in g.output}
    uses: dict[str, list[Any]] = collections.defaultdict(list)
    for n in g.node:
        for x in n.input:
            if x:
                uses[x].append(n)

    def scalar_s8(name: str) -> int | None:
        t = inits.get(name)
        if t is None:
            return None
        a = numpy_helper.to_array(t)
        if a.size != 1 or a.dtype != np.int8:
            return None
        return int(a.reshape(-1)[0])

    offsets: dict[str, int] = {}
    for n in list(g.node):
        if n.op_type != "QuantizeLinear" or n.domain not in ("", "ai.onnx", MS_DOMAIN):
            continue
        if len(n.input) != 3 or not n.input[2]:
            continue
        zp = scalar_s8(n.input[2])
        t = n.output[0]
        if zp is None or t in outputs or len(uses[t]) != 1:
            continue
        dq = uses[t][0]
        if dq.op_type != "DequantizeLinear" or dq.domain not in ("", "ai.onnx", MS_DOMAIN):
            continue
        if len(dq.input) > 2 and dq.input[2]:
            if scalar_s8(dq.input[2]) != zp:
                continue
        elif zp != 0:
            continue
        name = f"{t}__mcuai_u8_zp"
        k = 0
        while name in taken:
            k += 1
            name = f"{t}__mcuai_u8_zp{k}"
        taken.add(name)
        shape = tuple(inits[n.input[2]].dims)
        g.initializer.append(
            numpy_helper.from_array(np.full(shape, zp + 128, dtype=np.uint8), name)
        )
        n.input[2] = name
        if len(dq.input) > 2:
            dq.input[2] = name
        else:
            dq.input.append(name)
        offsets[t] = -128
    return offsets


def onnx_reference(path: str | Path) -> OnnxReference:
    """The reference runner of an ``.onnx`` model: ONNX Runtime on the CPU with its default
    graph optimizations, session created once. Raises :class:`ModelError` for a missing or
    unreadable file and :class:`McuaiError` when ONNX Runtime is missing or cannot load the
    model."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{p}: is a directory, not a model file") from None
    except OSError as e:
        raise ModelError(f"{p}: cannot read ({e.strerror})") from None
    return OnnxReference(p, _with_external_data(p, data))


def _with_external_data(path: Path, data: bytes) -> bytes:
    """``data``, or, for a model that keeps tensors in external files, the model with those
    tensors read in (ONNX Runtime cannot find them from bytes alone)."""
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:
        raise ModelError(f"{path}: not a readable ONNX model ({e})") from None
    external = onnx.TensorProto.EXTERNAL
    if not any(t.data_location == external for t in model.graph.initializer):
        return data
    try:
        return bytes(onnx.load(str(path)).SerializeToString())
    except Exception as e:
        raise ModelError(f"{path}: cannot read the model's external data ({e})") from None
