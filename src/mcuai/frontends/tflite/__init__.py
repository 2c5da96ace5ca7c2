"""TensorFlow Lite frontend: ``.tflite`` flatbuffer -> IR graph.

Reading happens in three steps: :mod:`.reader` parses and bounds-checks the flatbuffer,
:mod:`.converters` maps each builtin operator to IR nodes, and :func:`import_tflite` assembles the
graph, reporting *every* unsupported operator in one :class:`UnsupportedError`.
"""

from __future__ import annotations

from pathlib import Path

from mcuai.errors import GraphError, ModelError, UnsupportedError
from mcuai.frontends.tflite.context import Importer, OpContext, Unsupported
from mcuai.frontends.tflite.converters import CONVERTERS
from mcuai.frontends.tflite.reader import _int_list, load_bytes, read_model
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.verify import verify


def import_tflite(path: Path, data: bytes | None = None) -> Graph:
    """Read ``path`` (or ``data``, naming it ``path`` in errors) into an IR graph."""
    raw = load_bytes(path) if data is None else data
    tfl = read_model(raw, str(path))
    imp = Importer(tfl)
    nodes: list[Node] = []
    problems: list[str] = []
    for index, op in enumerate(tfl.subgraph.operators):
        opname = tfl.opcodes[int(op.opcodeIndex)]
        cx = OpContext(imp, index, op, opname)
        conv = CONVERTERS.get(opname)
        try:
            if conv is None:
                raise Unsupported("operator not supported")
            nodes.extend(conv(cx))
        except Unsupported as e:
            problems.append(f"  #{index} {opname} '{cx.origin}': {e}")
    inputs, outputs = [], []
    for i in _int_list(tfl.subgraph.inputs):
        try:
            inputs.append(imp.tensor(i))
        except Unsupported as e:
            problems.append(f"  model input: {e}")
    for i in _int_list(tfl.subgraph.outputs):
        try:
            outputs.append(imp.tensor(i))
        except Unsupported as e:
            problems.append(f"  model output: {e}")
    if problems:
        raise UnsupportedError(
            f"{path}: {len(problems)} operator(s) cannot be deployed:\n" + "\n".join(problems)
        )
    graph = Graph(name=path.stem, nodes=nodes, inputs=inputs, outputs=outputs, source="tflite")
    graph.warnings.extend(tfl.warnings)
    if imp.bias_axis_fixes:
        graph.warnings.append(
            f"{path}: {len(imp.bias_axis_fixes)} rank-1 tensor(s) declare a quantized_dimension "
            f"outside their rank (e.g. '{imp.bias_axis_fixes[0]}'); using axis 0 as TFLite "
            "Micro does"
        )
    graph.metadata["tflite_schema_version"] = str(tfl.model.version)
    graph.metadata["path"] = str(path)
    try:
        verify(graph, "import")
    except GraphError as e:  # the file is self-inconsistent (shapes, quantization, order)
        raise ModelError(f"{path}: {e}") from None
    return graph
