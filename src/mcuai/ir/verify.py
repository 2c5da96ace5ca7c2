"""The IR verifier, run after the frontend and after every pass.

Checks, in order: the schedule is a topological order (every non-constant input is a graph input
or written by an earlier node), every tensor is written at most once, graph inputs are never
written, constants are never written, graph outputs exist, quantized integer tensors carry
quantization parameters with sane values, and each node satisfies its op's own rules (arity,
attribute ranges, shape inference agreeing with the declared output shapes).
"""

from __future__ import annotations

import numpy as np

from mcuai.errors import GraphError
from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor


def _check_tensor(t: Tensor, where: str) -> None:
    if any(d < 0 for d in t.shape):
        raise GraphError(f"{where}: tensor '{t.name}' has a negative dimension {t.shape}")
    if t.data is not None and tuple(t.data.shape) != t.shape:
        raise GraphError(
            f"{where}: constant '{t.name}' holds data of shape {t.data.shape}, declared {t.shape}"
        )
    q = t.quant
    if q is None:
        return
    if not np.all(np.isfinite(q.scale)) or np.any(q.scale <= 0):
        raise GraphError(f"{where}: tensor '{t.name}' has a non-positive or non-finite scale")
    if q.per_axis:
        ax = q.axis if q.axis is not None else -1
        if not 0 <= ax < t.rank or t.shape[ax] != q.channels:
            raise GraphError(
                f"{where}: tensor '{t.name}' {t.type_str()} has {q.channels} per-axis scales "
                f"on axis {q.axis}"
            )
    if t.dtype.is_integer and t.dtype.itemsize <= 2:
        zp = q.zero_point
        if np.any(zp < t.dtype.qmin) or np.any(zp > t.dtype.qmax):
            raise GraphError(f"{where}: tensor '{t.name}' zero point outside {t.dtype.value}")


def verify(graph: Graph, stage: str = "") -> None:
    """Raise :class:`GraphError` naming the node at fault if ``graph`` is not well formed."""
    from mcuai.ops import get_op  # ops depend on the IR, not the other way round

    suffix = f" (after {stage})" if stage else ""
    available: set[int] = {t.uid for t in graph.inputs}
    written: set[int] = set(available)
    if len(available) != len(graph.inputs):
        raise GraphError(f"graph inputs are listed twice{suffix}")
    for t in graph.inputs:
        _check_tensor(t, "graph input")
        if t.is_const:
            raise GraphError(f"graph input '{t.name}' is a constant{suffix}")
    for node in graph.nodes:
        where = f"node '{node.origin}' ({node.op}){suffix}"
        for x in node.inputs:
            if x is None:
                continue
            _check_tensor(x, where)
            if not x.is_const and x.uid not in available:
                raise GraphError(f"{where}: reads '{x.name}' before it is written")
        for t in node.outputs:
            _check_tensor(t, where)
            if t.is_const:
                raise GraphError(f"{where}: writes the constant '{t.name}'")
            if t.uid in written:
                raise GraphError(f"{where}: '{t.name}' is written twice")
            written.add(t.uid)
            available.add(t.uid)
        try:
            opdef = get_op(node.op)
        except KeyError:
            raise GraphError(f"{where}: unknown op '{node.op}'") from None
        opdef.verify(node, where)
    for t in graph.outputs:
        if t.uid not in available and not t.is_const:
            raise GraphError(f"graph output '{t.name}' is never written{suffix}")
