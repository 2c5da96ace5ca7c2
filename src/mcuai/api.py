"""The Python API: every CLI command is a function here.

>>> from mcuai.api import analyze
>>> report = analyze("model.tflite")           # doctest: +SKIP
>>> report.arena_bytes, report.macc            # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from mcuai.errors import ModelError, UnsupportedError
from mcuai.frontends.tflite import import_tflite
from mcuai.frontends.tflite.reader import load_bytes
from mcuai.ir.graph import Graph
from mcuai.memory.liveness import plan_memory
from mcuai.passes.pipeline import run_pipeline
from mcuai.report.analysis import Analysis, analyze_graph


def load_model(path: str | Path) -> Graph:
    """Import a model file into the IR (not yet optimized). The format is detected from the
    file's content, not its name."""
    p = Path(path)
    data = load_bytes(p)
    if len(data) >= 8 and data[4:8] == b"TFL3":
        return import_tflite(p, data)
    if p.suffix.lower() == ".onnx":
        raise UnsupportedError(f"{p}: ONNX models are not supported yet (TFLite only)")
    if p.suffix.lower() == ".tflite":
        return import_tflite(p, data)  # reports the missing TFL3 identifier precisely
    raise ModelError(f"{p}: not a TFLite model (no TFL3 file identifier)")


def optimize(graph: Graph) -> Graph:
    """Run the pass pipeline (verifying after every pass)."""
    return run_pipeline(graph)


def analyze(
    model: str | Path,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    alignment: int = 16,
) -> Analysis:
    """Import, optimize and plan memory; return the per-layer cost and memory analysis."""
    graph = optimize(load_model(model))
    layout = plan_memory(graph, alignment, inputs_in_arena, outputs_in_arena)
    return analyze_graph(graph, layout, str(model), inputs_in_arena, outputs_in_arena)
