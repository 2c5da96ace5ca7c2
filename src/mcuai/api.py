"""The Python API: every CLI command is a function here.

>>> from mcuai.api import analyze
>>> report = analyze("model.tflite")           # doctest: +SKIP
>>> report.arena_bytes, report.macc            # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from mcuai.codegen.cnames import c_identifier
from mcuai.codegen.emit import GeneratedCode
from mcuai.codegen.generate import MANIFEST, generate_code, manifest, write_folder
from mcuai.errors import ModelError, UnsupportedError, UsageError
from mcuai.frontends.onnx import import_onnx, looks_like_onnx
from mcuai.frontends.tflite import import_tflite
from mcuai.frontends.tflite.reader import load_bytes
from mcuai.ir.graph import Graph
from mcuai.lower.lowering import lower_node
from mcuai.lower.program import Call
from mcuai.memory.liveness import plan_memory
from mcuai.passes.pipeline import run_pipeline
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
    if p.suffix.lower() == ".onnx":
        return import_onnx(p, data, io_layout)
    if p.suffix.lower() == ".tflite":
        return import_tflite(p, data)  # reports the missing TFL3 identifier precisely
    if looks_like_onnx(data):
        return import_onnx(p, data, io_layout)
    raise ModelError(f"{p}: not a TFLite model (no TFL3 file identifier) nor an ONNX model")


def optimize(graph: Graph) -> Graph:
    """Run the pass pipeline (verifying after every pass)."""
    return run_pipeline(graph)


def analyze(
    model: str | Path,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    alignment: int = 16,
) -> Analysis:
    """Import, optimize, choose kernels and plan memory (kernel scratch included, exactly as
    ``generate`` does); return the per-layer cost and memory analysis. Layers without a kernel
    are reported, not fatal."""
    graph = optimize(load_model(model))
    lowered: dict[int, list[Call]] = {}
    no_kernel: dict[int, str] = {}
    for i, n in enumerate(graph.nodes):
        try:
            lowered[i] = lower_node(n)
        except UnsupportedError as e:
            no_kernel[i] = str(e)
    scratch = [
        (i, c.scratch_bytes, f"scratch of {graph.nodes[i].origin}")
        for i, calls in lowered.items()
        for c in calls
        if c.scratch_bytes
    ]
    layout = plan_memory(graph, alignment, inputs_in_arena, outputs_in_arena, scratch)
    return analyze_graph(
        graph, layout, str(model), inputs_in_arena, outputs_in_arena, lowered, no_kernel
    )


def generate(
    model: str | Path,
    out_dir: str | Path | None = None,
    name: str | None = None,
    force: bool = False,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    alignment: int = 16,
) -> GeneratedCode:
    """Generate C code for ``model``; write it to ``out_dir`` (atomically) when given."""
    p = Path(model)
    cname = c_identifier(name if name is not None else p.stem)
    if name is not None and cname != name:
        raise UsageError(f"--name '{name}' is not a C identifier (try '{cname}')")
    graph = optimize(load_model(p))
    code = generate_code(graph, cname, p.name, alignment, inputs_in_arena, outputs_in_arena)
    options = {
        "inputs_in_arena": inputs_in_arena,
        "outputs_in_arena": outputs_in_arena,
        "alignment": alignment,
    }
    code.files[MANIFEST] = manifest(code, p.name, options)
    if out_dir is not None:
        write_folder(code.files, Path(out_dir), force)
    return code
