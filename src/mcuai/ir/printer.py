"""A stable, human-readable text form of the IR, used by tests and ``--debug`` dumps.

Tensors are numbered ``%0, %1, ...`` in order of first appearance (graph inputs first), so the
text depends only on the graph's structure and values, never on object ids or dict order.
"""

from __future__ import annotations

import dataclasses
import enum

from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor


def _fmt_value(v: object) -> str:
    if isinstance(v, enum.Enum):
        return str(v.value)
    if isinstance(v, float):
        return f"{v:.8g}"
    if isinstance(v, tuple):
        return "(" + ",".join(_fmt_value(x) for x in v) + ")"
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _fmt_attrs(v)
    return str(v)


def _fmt_attrs(attrs: object) -> str:
    if attrs is None:
        return ""
    if not dataclasses.is_dataclass(attrs) or isinstance(attrs, type):
        return str(attrs)
    parts = [f"{f.name}={_fmt_value(getattr(attrs, f.name))}" for f in dataclasses.fields(attrs)]
    return "{" + ", ".join(parts) + "}"


def _fmt_tensor(t: Tensor) -> str:
    s = t.type_str()
    if t.quant is not None:
        s += f" q({t.quant.describe()})"
    return s


def print_graph(graph: Graph) -> str:
    """Return the text form of ``graph``."""
    ids: dict[int, int] = {}
    for t in graph.tensors():
        ids[t.uid] = len(ids)

    def ref(t: Tensor | None) -> str:
        return "_" if t is None else f"%{ids[t.uid]}"

    lines = [f"graph {graph.name!r}"]
    for t in graph.inputs:
        lines.append(f"  input {ref(t)} {t.name!r}: {_fmt_tensor(t)}")
    consts = [t for t in graph.tensors() if t.is_const]
    for t in consts:
        lines.append(f"  const {ref(t)} {t.name!r}: {_fmt_tensor(t)}")
    for n in graph.nodes:
        outs = ", ".join(f"{ref(t)}: {_fmt_tensor(t)}" for t in n.outputs)
        ins = ", ".join(ref(t) for t in n.inputs)
        lines.append(f"  {outs} = {n.op}({ins}) {_fmt_attrs(n.attrs)}  # {n.origin}")
    lines.append("  return " + ", ".join(ref(t) for t in graph.outputs))
    return "\n".join(lines) + "\n"
