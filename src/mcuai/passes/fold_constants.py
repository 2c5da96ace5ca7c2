"""Evaluate nodes whose inputs are all constants, at compile time.

Handles the layout and conversion ops that appear on weight paths: RESHAPE (and its
SQUEEZE/EXPAND_DIMS forms), TRANSPOSE and DEQUANTIZE (``x = s * (q - zp)`` in float32, per
tensor or per axis). The node disappears and its output becomes a constant.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ops.reshape import ReshapeAttrs
from mcuai.ops.transpose import TransposeAttrs


def _reshape(n: Node) -> np.ndarray:
    a: ReshapeAttrs = n.attrs
    data = n.input(0).data
    assert data is not None
    return data.reshape(a.shape)


def _transpose(n: Node) -> np.ndarray:
    a: TransposeAttrs = n.attrs
    data = n.input(0).data
    assert data is not None
    return np.ascontiguousarray(np.transpose(data, a.perm))


def _dequantize(n: Node) -> np.ndarray:
    x = n.input(0)
    assert x.data is not None and x.quant is not None
    q = x.quant
    shape = [1] * x.rank
    if q.per_axis and q.axis is not None:
        shape[q.axis] = q.channels
    scale = q.scale.reshape(shape if q.per_axis else ())
    zp = q.zero_point.reshape(shape if q.per_axis else ())
    real: np.ndarray = (x.data.astype(np.int64) - zp).astype(np.float32) * scale
    return real.astype(np.float32)


FOLDERS: dict[str, Callable[[Node], np.ndarray]] = {
    "reshape": _reshape,
    "transpose": _transpose,
    "dequantize": _dequantize,
}


def run(graph: Graph) -> Graph:
    keep: list[Node] = []
    for n in graph.nodes:
        fold = FOLDERS.get(n.op)
        ins = [t for t in n.inputs if t is not None]
        if fold is not None and ins and all(t.is_const for t in ins):
            out = n.output
            out.data = fold(n).astype(out.dtype.np).reshape(out.shape)
            if out in graph.outputs:
                keep.append(n)  # a model output must stay a computed tensor
                out.data = None
            continue
        keep.append(n)
    graph.nodes = keep
    return graph
