"""THE pass pipeline: one explicit ordered list, the verifier after every pass."""

from __future__ import annotations

from collections.abc import Callable

from mcuai.errors import GraphError
from mcuai.ir.graph import Graph
from mcuai.ir.verify import verify
from mcuai.passes import alias_views, dead_code, fold_constants, fuse_activations

Pass = Callable[[Graph], Graph]

#: Order matters: constants are folded before anything inspects weights; activations become
#: clamps before lowering; views are marked before memory planning; dead code goes last.
PIPELINE: list[tuple[str, Pass]] = [
    ("fold_constants", fold_constants.run),
    ("fuse_activations", fuse_activations.run),
    ("alias_views", alias_views.run),
    ("dead_code", dead_code.run),
]


def run_pipeline(graph: Graph, passes: list[tuple[str, Pass]] | None = None) -> Graph:
    """Run each pass and verify its result (frontends verify the imported graph).

    A verifier failure here is a bug in a pass; the error names the model and the pass.
    """
    where = graph.metadata.get("path", graph.name)
    for name, p in PIPELINE if passes is None else passes:
        graph = p(graph)
        try:
            verify(graph, name)
        except GraphError as e:
            raise GraphError(f"{where}: internal error, please report: {e}") from None
    return graph
