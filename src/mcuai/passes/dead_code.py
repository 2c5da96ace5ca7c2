"""Remove nodes none of whose outputs is read by a later node or is a graph output.

Walks the schedule backwards keeping a set of live tensors, so chains of dead nodes go in one
sweep.
"""

from __future__ import annotations

from mcuai.ir.graph import Graph
from mcuai.ir.node import Node


def run(graph: Graph) -> Graph:
    live = {t.uid for t in graph.outputs}
    keep: list[Node] = []
    for n in reversed(graph.nodes):
        if any(t.uid in live for t in n.outputs):
            keep.append(n)
            live.update(t.uid for t in n.inputs if t is not None)
    graph.nodes = keep[::-1]
    return graph
