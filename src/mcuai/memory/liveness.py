"""Lifetimes of activation storage, from the schedule.

Step ``i`` is the execution of node ``i``. A tensor is *born* at the step of its producer (graph
inputs at step 0: the application writes them before the first node runs) and *dies* at the
last step that reads it (graph outputs at the last step: the application reads them after
``run``). Tensors that share storage (``node.alias``: zero-copy views, in-place kernels) form one
storage group whose buffer lives from the earliest birth to the latest death of its members.

Graph inputs and outputs live inside the arena by default (zero copies: the generated API hands
out pointers into the arena); with ``inputs_in_arena=False`` / ``outputs_in_arena=False`` their
storage groups are left out and the application provides those buffers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor
from mcuai.memory.planner import Buffer, Plan, plan_arena


@dataclass
class StorageGroup:
    """Tensors sharing one block of memory; ``root`` is the one that owns the storage."""

    root: Tensor
    members: list[Tensor] = field(default_factory=list)
    first: int = 0
    last: int = 0
    external: bool = False  # provided by the application (I/O outside the arena)

    @property
    def size(self) -> int:
        return max(t.nbytes for t in self.members)


@dataclass
class MemoryLayout:
    """Where every activation tensor lives."""

    groups: list[StorageGroup]  # buffer id = index in this list
    tensor_group: dict[int, int]  # tensor uid -> group index
    buffers: list[Buffer]  # arena buffers only (external groups excluded)
    plan: Plan
    num_steps: int
    scratch_offsets: dict[int, int] = field(default_factory=dict)  # scratch index -> offset

    def offset_of(self, t: Tensor) -> int | None:
        """Arena offset of ``t``, or ``None`` when it lives outside the arena."""
        gi = self.tensor_group[t.uid]
        return None if self.groups[gi].external else self.plan.offsets[gi]


def storage_groups(graph: Graph) -> tuple[list[StorageGroup], dict[int, int]]:
    """Group tensors by shared storage and compute each group's lifetime."""
    root_of: dict[int, Tensor] = {}
    for n in graph.nodes:
        if n.alias is not None:
            src = n.input(n.alias)
            root_of[n.output.uid] = root_of.get(src.uid, src)
    groups: list[StorageGroup] = []
    index: dict[int, int] = {}

    def group(t: Tensor) -> None:
        root = root_of.get(t.uid, t)
        if root.uid not in index:
            index[root.uid] = len(groups)
            groups.append(StorageGroup(root, [root]))
        if t.uid not in index:
            index[t.uid] = index[root.uid]
            groups[index[root.uid]].members.append(t)

    last_step = max(len(graph.nodes) - 1, 0)
    birth: dict[int, int] = {}
    death: dict[int, int] = {}
    for t in graph.inputs:
        birth[t.uid], death[t.uid] = 0, 0
    for i, n in enumerate(graph.nodes):
        for x in n.inputs:
            if x is not None and not x.is_const:
                death[x.uid] = i
        for t in n.outputs:
            birth[t.uid], death[t.uid] = i, i
    for t in graph.outputs:
        if not t.is_const:
            death[t.uid] = last_step
    tensors = [*graph.inputs, *(t for n in graph.nodes for t in n.outputs)]
    for t in tensors:
        group(t)
    for g in groups:
        g.first = min(birth[t.uid] for t in g.members)
        g.last = max(death[t.uid] for t in g.members)
    return groups, index


def plan_memory(
    graph: Graph,
    alignment: int = 16,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    scratch: Sequence[tuple[int, int, str]] = (),
) -> MemoryLayout:
    """Compute lifetimes and plan the activation arena for ``graph``.

    ``scratch`` lists kernel scratch areas as ``(step, bytes, name)``; each lives only during
    its step and is planned like any other buffer.
    """
    groups, index = storage_groups(graph)
    ins = {t.uid for t in graph.inputs}
    outs = {t.uid for t in graph.outputs}
    buffers: list[Buffer] = []
    for gi, g in enumerate(groups):
        uids = {t.uid for t in g.members}
        g.external = (not inputs_in_arena and bool(uids & ins)) or (
            not outputs_in_arena and bool(uids & outs)
        )
        if not g.external:
            buffers.append(Buffer(gi, g.size, g.first, g.last, g.root.name))
    for k, (step, size, name) in enumerate(scratch):
        buffers.append(Buffer(len(groups) + k, size, step, step, name))
    plan = plan_arena(buffers, alignment)
    scratch_offsets = {k: plan.offsets[len(groups) + k] for k in range(len(scratch))}
    return MemoryLayout(groups, index, buffers, plan, len(graph.nodes), scratch_offsets)
