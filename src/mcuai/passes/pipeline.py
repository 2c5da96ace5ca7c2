"""THE pass pipeline: one explicit ordered list, the verifier after every pass."""

from __future__ import annotations

from collections.abc import Callable

from mcuai.errors import GraphError
from mcuai.ir.graph import Graph
from mcuai.ir.verify import verify
from mcuai.passes import (
    alias_views,
    dead_code,
    fold_constants,
    fuse_activations,
    fuse_pad,
    in_place,
    schedule,
)

Pass = Callable[[Graph], Graph]

#: Order matters: constants are folded before anything inspects weights; activations become
#: clamps before lowering; a PAD folds into the convolution or max pooling reading it (after
#: the clamps, which tell whether a pad value can win a maximum); views are marked before
#: memory planning; dead code goes before the schedule, which orders the nodes that remain
#: for the lowest peak (counting views and the in-place opportunities); in-place execution is
#: decided last, on the final order, because whether an input is dead after a node depends on
#: that order.
PIPELINE: list[tuple[str, Pass]] = [
    ("fold_constants", fold_constants.run),
    ("fuse_activations", fuse_activations.run),
    ("fuse_pad", fuse_pad.run),
    ("alias_views", alias_views.run),
    ("dead_code", dead_code.run),
    ("schedule", schedule.run),
    ("in_place", in_place.run),
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
