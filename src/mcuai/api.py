"""The Python API: every CLI command is a function here.

>>> from mcuai.api import analyze
>>> report = analyze("model.tflite")           # doctest: +SKIP
>>> report.arena_bytes, report.macc            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mcuai.codegen.cnames import c_identifier
from mcuai.codegen.emit import GeneratedCode
from mcuai.codegen.generate import MANIFEST, generate_code, manifest, write_folder
from mcuai.errors import ModelError, UnsupportedError, UsageError
from mcuai.frontends.onnx import import_onnx, looks_like_onnx
from mcuai.frontends.tflite import import_tflite
from mcuai.frontends.tflite.reader import load_bytes
from mcuai.ir.graph import Graph
from mcuai.lower.lowering import lower_node
from mcuai.lower.ort import mark_ort_float
from mcuai.lower.program import Call
from mcuai.memory.liveness import plan_memory
from mcuai.memory.pools import Pool, PoolFitError, load_pools
from mcuai.passes import in_place, uint8_to_int8
from mcuai.passes.pipeline import run_pipeline
from mcuai.quantize import QuantizeOptions, QuantizeReport, quantize_model
from mcuai.report.analysis import Analysis, analyze_graph


def load_model(path: str | Path, *, io_layout: str = "model") -> Graph:
    """Import a model file into the IR (not yet optimized). The format is detected from the
    file's content, not its name.

    ``io_layout`` (ONNX models): ``"model"`` keeps the model's input/output layout (NCHW
    stays NCHW, transposed at the boundary), ``"nhwc"`` gives channel-last I/O without
    boundary transposes. TFLite models are channel-last already.
    """
    p = Path(path)
    data = load_bytes(p)
    if len(data) >= 8 and data[4:8] == b"TFL3":
        return import_tflite(p, data)
    if p.suffix.lower() == ".onnx" or (p.suffix.lower() != ".tflite" and looks_like_onnx(data)):
        return _mark_ort_float(import_onnx(p, data, io_layout), data)
    if p.suffix.lower() == ".tflite":
        return import_tflite(p, data)  # reports the missing TFL3 identifier precisely
    raise ModelError(f"{p}: not a TFLite model (no TFL3 file identifier) nor an ONNX model")


def _mark_ort_float(graph: Graph, data: bytes) -> Graph:
    """The layers ONNX Runtime leaves in float (DQ -> float op -> Q) get its float rule
    (:func:`mcuai.lower.ort.mark_ort_float`)."""
    import onnx

    return mark_ort_float(graph, onnx.load_from_string(data))


def optimize(graph: Graph, prefer: str = "ram") -> Graph:
    """Run the pass pipeline (verifying after every pass).

    ``prefer``: ``"ram"`` (default) lets convolutions, depthwise convolutions and max pooling
    at the memory peak write over their dead input with the slower overlapping in-place
    kernels; ``"speed"`` keeps the fast kernels everywhere (larger arena)."""
    from mcuai.passes.in_place import PREFER_CHOICES, PREFER_KEY

    if prefer not in PREFER_CHOICES:
        raise UsageError(f"prefer={prefer!r}: choose one of {', '.join(PREFER_CHOICES)}")
    graph.metadata[PREFER_KEY] = prefer
    return run_pipeline(graph)


def _pools(memory_pools: str | Path | Sequence[Pool] | None) -> list[Pool]:
    if memory_pools is None:
        return []
    if isinstance(memory_pools, str | Path):
        return load_pools(memory_pools)
    return list(memory_pools)


def analyze(
    model: str | Path,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    alignment: int = 16,
    memory_pools: str | Path | Sequence[Pool] | None = None,
    target_ram: int | None = None,
    target_flash: int | None = None,
    prefer: str = "ram",
) -> Analysis:
    """Import, optimize, choose kernels and plan memory (kernel scratch included, exactly as
    ``generate`` does); return the per-layer cost and memory analysis. Layers without a kernel
    are reported, not fatal.

    ``memory_pools`` (a pool file or :class:`~mcuai.memory.pools.Pool` list) plans the
    activations across those pools; when they do not fit, the single-arena plan is reported
    with ``pool_error`` set. ``target_ram`` / ``target_flash`` (bytes) add budget checks:
    ``Analysis.fits`` and ``Analysis.budgets``."""
    pools = _pools(memory_pools)
    graph = optimize(load_model(model), prefer)
    # lower what generate lowers: uint8 tensors stored as int8, on a copy (the report keeps
    # describing the model); owner[j] = the reported layer of lowered node j
    low, owner = uint8_to_int8.rewritten_copy(graph)
    if low is not graph:
        low = in_place.run(low)  # as generate does: uint8 layers now have their int8 kernels
    lowered: dict[int, list[Call]] = {}
    no_kernel: dict[int, str] = {}
    scratch: list[tuple[int, int, str]] = []
    for j, n in enumerate(low.nodes):
        i = owner[j]
        assert i is not None
        try:
            calls = lower_node(n)
        except UnsupportedError as e:
            no_kernel.setdefault(i, str(e))
            continue
        in_place.confirm(n, calls)  # as generate does
        lowered[i] = lowered.get(i, []) + calls
        scratch += [
            (j, c.scratch_bytes, f"scratch of {n.origin}") for c in calls if c.scratch_bytes
        ]
    pool_error = None
    try:
        layout = plan_memory(low, alignment, inputs_in_arena, outputs_in_arena, scratch, pools)
    except PoolFitError as e:
        pool_error = str(e)
        layout = plan_memory(low, alignment, inputs_in_arena, outputs_in_arena, scratch)
    a = analyze_graph(
        graph,
        layout,
        str(model),
        inputs_in_arena,
        outputs_in_arena,
        lowered,
        no_kernel,
        planned=low,
        owner=owner,
    )
    a.pool_error = pool_error
    a.check_budgets(target_ram, target_flash)
    return a


def generate(
    model: str | Path,
    out_dir: str | Path | None = None,
    name: str | None = None,
    force: bool = False,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    alignment: int = 16,
    memory_pools: str | Path | Sequence[Pool] | None = None,
    requant: str = "float",
    prefer: str = "ram",
) -> GeneratedCode:
    """Generate C code for ``model``; write it to ``out_dir`` (atomically) when given.

    ``requant`` (ONNX models): ``"float"`` reproduces ONNX Runtime's float requantization
    bit for bit (needs an FPU to be fast); ``"fixed-point"`` uses integer-only kernels
    (TFLite-style multipliers, close to but not bit-exact with ONNX Runtime). ``prefer``:
    ``"ram"`` or ``"speed"``, see :func:`optimize`.

    With ``memory_pools`` (a pool file or :class:`~mcuai.memory.pools.Pool` list) the
    activations are placed across the pools and every API function takes the pool table;
    raises :class:`~mcuai.memory.pools.PoolFitError` when they do not fit."""
    pools = _pools(memory_pools)
    p = Path(model)
    cname = c_identifier(name if name is not None else p.stem)
    if name is not None and cname != name:
        raise UsageError(f"--name '{name}' is not a C identifier (try '{cname}')")
    graph = optimize(load_model(p), prefer)
    code = generate_code(
        graph, cname, p.name, alignment, inputs_in_arena, outputs_in_arena, pools, requant
    )
    options: dict[str, Any] = {
        "inputs_in_arena": inputs_in_arena,
        "outputs_in_arena": outputs_in_arena,
        "alignment": alignment,
    }
    if requant != "float":
        options["requant"] = requant
    if pools:
        options["memory_pools"] = [asdict(pl) for pl in pools]
    code.files[MANIFEST] = manifest(code, p.name, options)
    if out_dir is not None:
        write_folder(code.files, Path(out_dir), force)
    return code


def quantize(
    model: str | Path,
    calib: str | Path,
    output: str | Path,
    *,
    format: str = "qdq",
    per_channel: bool = True,
    activation_type: str = "int8",
    weight_type: str = "int8",
    method: str = "minmax",
    reduce_range: bool = False,
    vi: str | Path | None = None,
) -> QuantizeReport:
    """Post-training static quantization of the float ONNX model ``model`` with ONNX Runtime's
    quantizer, calibrated on ``calib`` (``.npz``, keys as ``validate -vi``); writes ``output``
    (atomically) and returns quantized-vs-float metrics on ``calib`` or on ``vi``. Defaults:
    QDQ, int8 symmetric per-channel weights, int8 asymmetric activations, MinMax calibration.
    """
    options = QuantizeOptions(
        format=format,
        per_channel=per_channel,
        activation_type=activation_type,
        weight_type=weight_type,
        method=method,
        reduce_range=reduce_range,
    )
    return quantize_model(model, calib, output, options, vi)
