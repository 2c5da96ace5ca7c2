"""The graph: nodes in topological (= execution) order plus its inputs and outputs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor


@dataclass(eq=False)
class Graph:
    """A model. ``nodes`` is the execution schedule and is always a topological order."""

    name: str
    nodes: list[Node]
    inputs: list[Tensor]
    outputs: list[Tensor]
    source: str = ""  # what the model was read from, e.g. "tflite" or "onnx-qdq"
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # harmless oddities the frontend accepted

    def tensors(self) -> Iterator[Tensor]:
        """Every distinct tensor: graph inputs first, then in order of first appearance."""
        seen: set[int] = set()
        for t in self.inputs:
            if t.uid not in seen:
                seen.add(t.uid)
                yield t
        for n in self.nodes:
            for x in [*n.inputs, *n.outputs]:
                if x is not None and x.uid not in seen:
                    seen.add(x.uid)
                    yield x
        for t in self.outputs:
            if t.uid not in seen:
                seen.add(t.uid)
                yield t

    def producers(self) -> dict[int, Node]:
        """Map tensor uid -> the node that writes it."""
        return {t.uid: n for n in self.nodes for t in n.outputs}

    def consumers(self) -> dict[int, list[Node]]:
        """Map tensor uid -> nodes that read it (in schedule order, each node once)."""
        out: dict[int, list[Node]] = {}
        for n in self.nodes:
            seen: set[int] = set()
            for t in n.inputs:
                if t is not None and t.uid not in seen:
                    seen.add(t.uid)
                    out.setdefault(t.uid, []).append(n)
        return out

    def replace_uses(self, old: Tensor, new: Tensor) -> None:
        """Make every reader of ``old`` (nodes and graph outputs) read ``new`` instead."""
        for n in self.nodes:
            n.inputs = [new if t is old else t for t in n.inputs]
        self.outputs = [new if t is old else t for t in self.outputs]
