"""Lower every node of an optimized graph (see :mod:`mcuai.lower`)."""

from __future__ import annotations

from mcuai.errors import UnsupportedError
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.lower.float_kernels import lower_float
from mcuai.lower.ort import lower_ort
from mcuai.lower.program import Call, Layer, Program
from mcuai.lower.uint8 import check_not_mixed
from mcuai.ops import get_op


def lower_node(node: Node) -> list[Call]:
    """Kernel calls of one node: the float32 kernels for float nodes of compute ops (float
    fallback and float models, :mod:`mcuai.lower.float_kernels`), the ONNX Runtime-rule
    kernels for ONNX nodes whose ORT arithmetic differs from TFLite's (:mod:`mcuai.lower.ort`),
    else the op's own ``lower`` (integer kernels, views, data movement, conversions)."""
    check_not_mixed(node)  # uint8 and int8 in one TFLite layer (passes/uint8_to_int8)
    calls = lower_ort(node)  # None unless ONNX Runtime's arithmetic needs its own kernel
    if calls is None:
        calls = lower_float(node)
    return calls if calls is not None else get_op(node.op).lower(node)


def lower_graph(graph: Graph) -> Program:
    """One :class:`Layer` per node. Nodes without a kernel are all reported in one error."""
    layers: list[Layer] = []
    problems: list[str] = []
    for i, n in enumerate(graph.nodes):
        try:
            layers.append(Layer(n, lower_node(n), i))
        except UnsupportedError as e:
            problems.append(f"  {e}")
    if problems:
        where = graph.metadata.get("path", graph.name)
        raise UnsupportedError(
            f"{where}: {len(problems)} layer(s) have no kernel:\n" + "\n".join(problems)
        )
    return Program(graph, layers)
