"""Make RESHAPE-like nodes (RESHAPE, SQUEEZE, EXPAND_DIMS) zero-copy views.

A row-major reshape does not move data, so its output can occupy the input's storage. The node
stays in the graph (per-layer validation still names it) but gets ``alias = 0``: the memory
planner gives both tensors one buffer (live from the first's birth to the last's death) and the
code generator emits no code for it.
"""

from __future__ import annotations

from mcuai.ir.graph import Graph
from mcuai.ops import get_op


def run(graph: Graph) -> Graph:
    for n in graph.nodes:
        if get_op(n.op).is_view and not n.input(0).is_const:
            n.alias = 0
    return graph
