"""Lower every node of an optimized graph (see :mod:`mcuai.lower`)."""

from __future__ import annotations

from mcuai.errors import UnsupportedError
from mcuai.ir.graph import Graph
from mcuai.lower.program import Layer, Program
from mcuai.ops import get_op


def lower_graph(graph: Graph) -> Program:
    """One :class:`Layer` per node. Nodes without a kernel are all reported in one error."""
    layers: list[Layer] = []
    problems: list[str] = []
    for i, n in enumerate(graph.nodes):
        try:
            layers.append(Layer(n, get_op(n.op).lower(n), i))
        except UnsupportedError as e:
            problems.append(f"  {e}")
    if problems:
        where = graph.metadata.get("path", graph.name)
        raise UnsupportedError(
            f"{where}: {len(problems)} layer(s) have no kernel:\n" + "\n".join(problems)
        )
    return Program(graph, layers)
