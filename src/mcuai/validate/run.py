"""``mcuai validate``: run the generated C and the original model on the same inputs, compare.

Steps: import + optimize the model, generate its C code, compile it for the host (shared
library, cached), load the reference runtime (TFLite models: LiteRT with the reference kernels,
TFLite Micro when LiteRT refuses the model; ONNX models: ONNX Runtime on the CPU with its default
graph optimizations, :mod:`mcuai.validate.onnx_reference`), read or draw the inputs, run both
sample by sample, and compute DESIGN §3's metrics for three pairs per output: C vs original, and
with ground truth also C vs ground truth and original vs ground truth. ``per_layer`` compares
every observed layer output with the reference's intermediate tensor and names the first layer
that diverges.

Per-layer tensors of ONNX models: ``graph.metadata["onnx_layouts"]`` (written by the ONNX
importer) maps an IR tensor to the ONNX value it holds and the permutation ``perm`` of its
layout (``ir_shape[j] = onnx_shape[perm[j]]``, e.g. NHWC for an NCHW value). The C model's data
is transposed back to the ONNX layout and compared with the reference's tensor of that name;
where the IR holds quantized integers of a value that is float in ONNX (``quantized``), the
reference's real values are quantized with the IR tensor's parameters (ONNX's
``QuantizeLinear`` rule), and uint8 reference data of an int8 IR tensor is shifted by 128 (the
exact uint8 -> int8 mapping of DESIGN §3). Model inputs and outputs stay in the model's own
layout (``-vi``/``-vo`` arrays too).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from mcuai import __version__
from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import UsageError
from mcuai.ir.graph import Graph
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.validate.data import (
    batched_shape,
    is_classifier_shape,
    load_ground_truth,
    load_inputs,
    random_inputs,
)
from mcuai.validate.metrics import Metrics, compute_metrics
from mcuai.validate.reference import Reference, tflite_reference

SCHEMA_VERSION = 1
T = TypeVar("T")

#: A float layer diverges when its largest difference exceeds this share of the reference's
#: largest magnitude (float kernels cannot be bit-exact: summation order, libm).
FLOAT_DIVERGENCE = 1e-4


@dataclass
class Row:
    pair: str  # "C vs original", "C vs ground truth", "original vs ground truth"
    output: int
    metrics: Metrics
    #: The output comes from an integer kernel (an integer tensor, or the exact float conversion
    #: of one by DEQUANTIZE): it must be bit-exact. Float kernels may differ in the last bits.
    exact_expected: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "pair": self.pair,
            "output": self.output,
            "exact_expected": self.exact_expected,
            **self.metrics.to_json(),
        }


@dataclass
class LayerRow:
    observation: int
    layer: int
    origin: str
    op: str
    metrics: Metrics
    diverges: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "observation": self.observation,
            "layer": self.layer,
            "origin": self.origin,
            "op": self.op,
            "diverges": self.diverges,
            **self.metrics.to_json(),
        }


@dataclass
class ValidationReport:
    model: str
    reference: str
    target: str
    samples: int
    inputs_from: str
    rows: list[Row]
    layers: list[LayerRow] | None = None
    unmatched_layers: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def first_divergence(self) -> LayerRow | None:
        for la in self.layers or []:
            if la.diverges:
                return la
        return None

    @property
    def bit_exact(self) -> bool | None:
        """True when every output computed by an integer kernel (integer outputs, and float
        outputs of a DEQUANTIZE) equals the original's exactly; float-kernel outputs count
        when they are bit-identical too (e.g. ORT-rule float softmax), and are otherwise left
        to the error metrics. None when no output qualifies."""
        vals = [
            r.metrics.bit_exact
            for r in self.rows
            if r.pair == "C vs original"
            and r.metrics.bit_exact is not None
            and (r.exact_expected or r.metrics.bit_exact == 1.0)
        ]
        return None if not vals else all(v == 1.0 for v in vals)

    def to_json(self) -> dict[str, Any]:
        fd = self.first_divergence
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "mcuai", "version": __version__},
            "model": self.model,
            "reference": self.reference,
            "target": self.target,
            "samples": self.samples,
            "inputs_from": self.inputs_from,
            "bit_exact": self.bit_exact,
            "rows": [r.to_json() for r in self.rows],
            "per_layer": None if self.layers is None else [la.to_json() for la in self.layers],
            "first_divergence": None if fd is None else fd.to_json(),
            "unmatched_layers": self.unmatched_layers,
            "seconds": self.seconds,
        }


def _classifier(graph: Graph, t: Tensor) -> bool:
    """Classifier outputs: one non-trivial dimension, produced by a softmax (looking through
    dequantize/quantize/reshape)."""
    if not is_classifier_shape(t.shape):
        return False
    producers = graph.producers()
    node = producers.get(t.uid)
    while node is not None and node.op in ("dequantize", "quantize", "reshape"):
        node = producers.get(node.input(0).uid)
    return node is not None and node.op == "softmax"


def _sample(arrays: list[np.ndarray], k: int, tensors: list[Tensor]) -> list[np.ndarray]:
    return [a[k].reshape(t.shape) for a, t in zip(arrays, tensors, strict=True)]


def _stack(items: list[np.ndarray], t: Tensor) -> np.ndarray:
    arr = np.stack([x.reshape(t.shape) for x in items])
    # batch layout: a leading batch dim of 1 is replaced by N
    if t.rank >= 1 and t.shape[0] == 1:
        arr = arr.reshape((len(items), *t.shape[1:]))
    return arr


def _progress(items: Iterable[T], total: int, show: bool) -> Iterable[T]:
    if not show or total < 2:
        return items
    from rich.console import Console
    from rich.progress import track

    return track(
        items, total=total, description="running", console=Console(stderr=True), transient=True
    )


def _dequantized(graph: Graph, t: Tensor) -> bool:
    """Whether float tensor ``t`` is produced by DEQUANTIZE (an exact integer-to-float map)."""
    prod = graph.producers().get(t.uid)
    return prod is not None and prod.op == "dequantize"


def _diverges(m: Metrics, ref: np.ndarray) -> bool:
    """Integer layers diverge when not bit-exact; float layers when the rmse exceeds
    :data:`FLOAT_DIVERGENCE` times the reference's largest magnitude."""
    if m.bit_exact is not None:
        return m.bit_exact < 1.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return bool(m.nonfinite or m.rmse > FLOAT_DIVERGENCE * max(scale, 1e-12))


@dataclass(frozen=True)
class OnnxLayout:
    """Where an IR tensor's values are in the ONNX model (``graph.metadata["onnx_layouts"]``)."""

    onnx: str  # the ONNX tensor name
    perm: tuple[int, ...]  # ir_shape[j] == onnx_shape[perm[j]]
    quantized: bool  # the IR holds quantized integers of a float ONNX value

    @property
    def inverse(self) -> tuple[int, ...]:
        inv = [0] * len(self.perm)
        for j, p in enumerate(self.perm):
            inv[p] = j
        return tuple(inv)

    def onnx_shape(self, ir_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(ir_shape[j] for j in self.inverse)


def onnx_layouts(graph: Graph) -> dict[str, OnnxLayout] | None:
    """The IR tensor name -> ONNX value map of an imported ONNX model (None for other
    models)."""
    raw = graph.metadata.get("onnx_layouts")
    if not raw:
        return None
    table: dict[str, Any] = json.loads(raw)
    return {
        name: OnnxLayout(str(e["onnx"]), tuple(int(p) for p in e["perm"]), bool(e["quantized"]))
        for name, e in table.items()
    }


def _to_onnx_layout(arr: np.ndarray, t: Tensor, lay: OnnxLayout) -> tuple[np.ndarray, Tensor]:
    """``arr`` (``N`` samples of IR tensor ``t``, batched layout) in the ONNX layout, and a
    tensor describing data in that layout (shape, per-axis axis) for the metrics."""
    n = int(arr.shape[0])
    if len(lay.perm) != t.rank or sorted(lay.perm) != list(range(t.rank)):
        raise ValueError(f"{t.name}: layout {lay.perm} does not fit the shape {t.shape}")
    shape = lay.onnx_shape(t.shape)
    full = arr.reshape((n, *t.shape))
    out = np.transpose(full, (0, *(1 + j for j in lay.inverse))).reshape(batched_shape(shape, n))
    q = t.quant
    if q is not None and q.per_axis and q.axis is not None:
        q = QuantParams(q.scale, q.zero_point, lay.perm[q.axis])
    return np.ascontiguousarray(out), Tensor(t.name, shape, t.dtype, q)


def _quantize_onnx(real: np.ndarray, t: Tensor) -> np.ndarray:
    """Real values stored in integer tensor ``t`` as ONNX ``QuantizeLinear`` does it:
    ``saturate(round_half_to_even(float32(x) / float32(scale)) + zero_point)``."""
    q = t.quant
    assert q is not None
    x = np.asarray(real, dtype=np.float32)
    scale = q.scale.astype(np.float32)
    zp = q.zero_point.astype(np.float64)
    if q.per_axis and q.axis is not None:
        shape = [1] * x.ndim
        axis = q.axis + (x.ndim - t.rank)
        shape[axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    with np.errstate(all="ignore"):
        y = np.rint((x / scale).astype(np.float64)) + zp
    y = np.nan_to_num(y, nan=0.0)
    out: np.ndarray = np.clip(y, t.dtype.qmin, t.dtype.qmax).astype(t.dtype.np)
    return out


def as_ir_values(ref: np.ndarray, t: Tensor) -> np.ndarray | None:
    """Reference data ``ref`` as values comparable with data of IR tensor ``t``: unchanged when
    the dtypes agree; real values for an integer tensor are quantized with its parameters;
    uint8 data of an int8 tensor (and the reverse) is shifted by 128. None when the data cannot
    be compared (integers of another type, integers for a float tensor)."""
    a = np.asarray(ref)
    if a.dtype == t.dtype.np:
        return a
    if t.dtype.is_float:
        return a if a.dtype.kind == "f" else None
    if a.dtype.kind == "f":
        return _quantize_onnx(a, t) if t.quant is not None else None
    if a.dtype == np.uint8 and t.dtype.np == np.int8:
        return (a.astype(np.int16) - 128).astype(np.int8)
    if a.dtype == np.int8 and t.dtype.np == np.uint8:
        return (a.astype(np.int16) + 128).astype(np.uint8)
    return None


def _layer_pair(
    items: list[np.ndarray],
    t: Tensor,
    ref_all: dict[str, np.ndarray],
    layouts: dict[str, OnnxLayout] | None,
) -> tuple[np.ndarray, np.ndarray, Tensor] | None:
    """The C model's data of an observed tensor, the reference's and the tensor describing
    both (in the reference's layout), or None when the reference has no such tensor."""
    p = _stack(items, t)
    if layouts is None:  # TFLite: same names, same layout
        if t.name not in ref_all:
            return None
        same = as_ir_values(ref_all[t.name].reshape(p.shape), t)
        return None if same is None else (p, same, t)
    lay = layouts.get(t.name)
    if lay is None or lay.onnx not in ref_all:
        return None
    try:
        p, desc = _to_onnx_layout(p, t, lay)
    except ValueError:
        return None
    r = ref_all[lay.onnx]
    if r.size != p.size:
        return None
    conv = as_ir_values(r.reshape(p.shape), desc)
    return None if conv is None else (p, conv, desc)


def validate_code(
    graph: Graph,
    code: GeneratedCode,
    run_c: Callable[[list[np.ndarray], bool], tuple[list[np.ndarray], list[np.ndarray]]],
    reference: Reference,
    model_path: Path,
    inputs: list[np.ndarray],
    inputs_from: str,
    truth: list[np.ndarray] | None,
    per_layer: bool,
    target: str,
    progress: bool = True,
) -> ValidationReport:
    """Compare ``run_c`` (one sample -> outputs, observations) with ``reference``."""
    n = int(inputs[0].shape[0]) if inputs else 0
    t0 = time.perf_counter()
    c_outs: list[list[np.ndarray]] = [[] for _ in graph.outputs]
    c_obs: list[list[np.ndarray]] = [[] for _ in code.observations]
    for k in _progress(range(n), n, progress):
        outs, seen = run_c(_sample(inputs, k, graph.inputs), per_layer)
        for j, o in enumerate(outs):
            c_outs[j].append(o)
        for j, o in enumerate(seen):
            c_obs[j].append(o)
    t_c = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref_outs = reference.run(inputs)
    t_ref = time.perf_counter() - t0
    rows: list[Row] = []
    for j, t in enumerate(graph.outputs):
        p = _stack(c_outs[j], t)
        r = ref_outs[j].reshape(p.shape)
        conv = as_ir_values(r, t)
        r = r if conv is None else conv
        cls = _classifier(graph, t) or truth is not None
        exact = not t.dtype.is_float or _dequantized(graph, t)
        rows.append(Row("C vs original", j, compute_metrics(p, r, t, cls, True), exact))
        if truth is not None:
            gt = truth[j].reshape(p.shape) if truth[j].size == p.size else truth[j]
            rows.append(Row("C vs ground truth", j, compute_metrics(p, gt, t, cls)))
            rows.append(Row("original vs ground truth", j, compute_metrics(r, gt, t, cls)))
    report = ValidationReport(
        str(model_path),
        reference.name,
        target,
        n,
        inputs_from,
        rows,
        seconds={"c_run": round(t_c, 3), "reference_run": round(t_ref, 3)},
    )
    if per_layer:
        t0 = time.perf_counter()
        ref_all = reference.run_intermediates(inputs)
        layouts = onnx_layouts(graph)
        layers: list[LayerRow] = []
        for obs, items in zip(code.observations, c_obs, strict=True):
            pair = _layer_pair(items, obs.tensor, ref_all, layouts)
            if pair is None:
                report.unmatched_layers.append(obs.tensor.name)
                continue
            p, r, desc = pair
            m = compute_metrics(p, r, desc, False)
            op = graph.nodes[obs.layer].op
            layers.append(LayerRow(obs.index, obs.layer, obs.origin, op, m, _diverges(m, r)))
        report.layers = layers
        report.seconds["per_layer"] = round(time.perf_counter() - t0, 3)
    return report


def reference_for(model: Path, graph: Graph) -> Reference:
    """The original runtime of ``model``: ONNX Runtime for ONNX models, LiteRT (or TFLite
    Micro) for TFLite models; ``graph`` is the model imported (its ``source`` says which)."""
    if graph.source.startswith("onnx"):
        from mcuai.validate.onnx_reference import onnx_reference

        return onnx_reference(model)
    return tflite_reference(model)


def validate_model(
    model: Path,
    vi: Path | None = None,
    vo: Path | None = None,
    batches: int | None = None,
    seed: int = 0,
    per_layer: bool = False,
    target: str = "host",
    progress: bool = True,
    code_hook: Callable[[GeneratedCode], None] | None = None,
    prefer: str = "ram",
    requant: str = "float",
) -> ValidationReport:
    """The whole ``mcuai validate``; ``target`` is ``host`` or an emulated Cortex-M core
    (:mod:`mcuai.validate.targets`). ``code_hook`` may edit the generated files
    before compilation (tests use it to corrupt a layer on purpose). ``requant`` (ONNX
    models): ``"fixed-point"`` validates the integer-only kernels (``--requant``)."""
    from mcuai.api import load_model, optimize
    from mcuai.codegen.cnames import c_identifier
    from mcuai.codegen.generate import generate_code
    from mcuai.validate.targets import TARGETS, c_runner

    if target not in TARGETS:
        raise UsageError(f"--target {target}: choose one of {', '.join(TARGETS)}")
    if batches is not None and batches < 1:
        raise UsageError("--batches must be at least 1")
    if vo is not None and vi is None:
        raise UsageError("-vo (ground truth) needs -vi (the inputs it belongs to)")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    graph = optimize(load_model(model), prefer)
    code = generate_code(graph, c_identifier(model.stem), model.name, requant=requant)
    seconds["generate"] = round(time.perf_counter() - t0, 3)
    if code_hook is not None:
        code_hook(code)
    if vi is not None:
        inputs = load_inputs(vi, graph.inputs, half_even="onnx_opset" in graph.metadata)
        n_file = int(inputs[0].shape[0])
        if batches is not None:
            inputs = [a[:batches] for a in inputs]
        inputs_from = str(vi)
    else:
        inputs = random_inputs(graph.inputs, batches or 10, seed)
        inputs_from = f"random (seed {seed})"
    t0 = time.perf_counter()
    run_c = c_runner(target, code, graph, inputs)
    seconds["compile"] = round(time.perf_counter() - t0, 3)
    reference = reference_for(model, graph)
    n = int(inputs[0].shape[0])
    truth = None
    if vo is not None:  # -vo belongs to every sample of -vi; --batches keeps the first n
        truth = [a[:n] for a in load_ground_truth(vo, graph.outputs, n_file)]
    report = validate_code(
        graph,
        code,
        run_c,
        reference,
        model,
        inputs,
        inputs_from,
        truth,
        per_layer,
        target,
        progress and sys.stderr.isatty(),
    )
    report.seconds = {**seconds, **report.seconds}
    return report
