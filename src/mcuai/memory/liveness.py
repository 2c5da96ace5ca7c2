"""Lifetimes of activation storage, from the schedule.

Step ``i`` is the execution of node ``i``. A tensor is *born* at the step of its producer (graph
inputs at step 0: the application writes them before the first node runs) and *dies* at the
last step that reads it (graph outputs at the last step: the application reads them after
``run``). Tensors that share storage (``node.alias``: zero-copy views, in-place kernels) form one
storage group whose buffer lives from the earliest birth to the latest death of its members.

Graph inputs and outputs live inside the arena by default (zero copies: the generated API hands
out pointers into the arena); with ``inputs_in_arena=False`` / ``outputs_in_arena=False`` their
storage groups are left out and the application provides those buffers. Views of such a tensor
stay in its (external) group, but an in-place alias (a non-view node writing over its input,
see :mod:`mcuai.passes.in_place`) is dropped when either side's group is external: mcuai never
writes a computed tensor into the application's input buffer nor lets an output buffer stand in
for an arena tensor, so that output gets storage of its own.

Overlapping in-place layers (:mod:`mcuai.memory.overlap`: a window op or a narrowing
conversion whose output starts ``D`` bytes below its dead input) do not join their input's
group: the two groups become a *tie* of the planner (``offset(input) = offset(output) + D``,
``D`` rounded up to the alignment), so each keeps its own lifetime. :func:`plan_memory` plans
with and without the ties and keeps the smaller arena (ties are dropped on an equal size, and
when a side lives outside the arena: the kernels are correct with separate buffers too). With
memory pools likewise: tied buffers then go to one pool together
(:func:`~mcuai.memory.pools.place_in_pools`), kept when that gives smaller pools in total (the
ties win on equal totals).

A CONCATENATION whose producers write straight into their slices (``alias`` set on the concat
node by :mod:`mcuai.passes.in_place`) joins every input into the output's group at the input's
byte offset in the output (``StorageGroup.offsets``; ``MemoryLayout.offset_of`` adds it); a
SPLIT whose outputs are views (``alias`` set) joins every output into the input's group at its
slice's offset. Such *sliced* groups take part in no tie.

With memory pools (:mod:`mcuai.memory.pools`) the buffers are spread over several regions and
every offset is relative to the start of its buffer's pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor
from mcuai.memory.overlap import is_overlapping, overlap_offset
from mcuai.memory.planner import Buffer, Plan, lower_bound, plan_arena
from mcuai.memory.pools import Pool, PoolFitError, PoolPlan, place_in_pools
from mcuai.ops import get_op


@dataclass
class StorageGroup:
    """Tensors sharing one block of memory; ``root`` is the one that owns the storage."""

    root: Tensor
    members: list[Tensor] = field(default_factory=list)
    first: int = 0
    last: int = 0
    external: bool = False  # provided by the application (I/O outside the arena)
    #: byte offset of a member inside the group (concatenation slices); absent: 0
    offsets: dict[int, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return max(self.offsets.get(t.uid, 0) + t.nbytes for t in self.members)

    @property
    def sliced(self) -> bool:
        """Some member lies at a non-zero offset (a concatenation written in place)."""
        return any(self.offsets.values())


@dataclass
class MemoryLayout:
    """Where every activation tensor lives."""

    groups: list[StorageGroup]  # buffer id = index in this list
    tensor_group: dict[int, int]  # tensor uid -> group index
    buffers: list[Buffer]  # arena buffers only (external groups excluded), scratch last
    plan: Plan  # one arena; with pools: offsets inside each pool, arena_size = sum of pools
    num_steps: int
    scratch_offsets: dict[int, int] = field(default_factory=dict)  # scratch index -> offset
    pool_plan: PoolPlan | None = None  # None: one arena
    ties: tuple[tuple[int, int, int], ...] = ()  # (input group, output group, D) kept

    def shares_storage(self, a: Tensor, b: Tensor) -> bool:
        """``a`` and ``b`` share storage: one group, or tied by an overlapping layer."""
        ga, gb = self.tensor_group[a.uid], self.tensor_group[b.uid]
        return ga == gb or any({ga, gb} == {x, y} for x, y, _ in self.ties)

    @property
    def pools(self) -> tuple[Pool, ...]:
        return () if self.pool_plan is None else self.pool_plan.pools

    def scratch_id(self, k: int) -> int:
        """Buffer id of scratch area ``k``."""
        return len(self.groups) + k

    def pool_of(self, buffer_id: int) -> int:
        """Index of the pool holding a buffer (0 with one arena)."""
        return 0 if self.pool_plan is None else self.pool_plan.assignment[buffer_id]

    def offset_of(self, t: Tensor) -> int | None:
        """Offset of ``t`` (in its pool), or ``None`` when it lives outside the arena."""
        gi = self.tensor_group[t.uid]
        g = self.groups[gi]
        return None if g.external else self.plan.offsets[gi] + g.offsets.get(t.uid, 0)

    def member_offset(self, t: Tensor) -> int:
        """Offset of ``t`` inside its storage group (non-zero only for concatenation slices)."""
        return self.groups[self.tensor_group[t.uid]].offsets.get(t.uid, 0)

    def pool_of_tensor(self, t: Tensor) -> int | None:
        gi = self.tensor_group[t.uid]
        return None if self.groups[gi].external else self.pool_of(gi)


def storage_groups(
    graph: Graph, inputs_in_arena: bool = True, outputs_in_arena: bool = True
) -> tuple[list[StorageGroup], dict[int, int]]:
    """Group tensors by shared storage and compute each group's lifetime.

    Views join their input's group; in-place aliases join unless one side's group is external
    (module docstring). The group's root is its earliest tensor (graph inputs first, then
    node outputs in schedule order), so groups come out in order of their roots.
    """
    tensors: list[Tensor] = []
    pos: dict[int, int] = {}
    for t in [*graph.inputs, *(t for n in graph.nodes for t in n.outputs)]:
        if t.uid not in pos:
            pos[t.uid] = len(tensors)
            tensors.append(t)
    parent = list(range(len(tensors)))
    rel = [0] * len(tensors)  # byte offset of a tensor from its parent

    def find(i: int) -> int:
        path = []
        while parent[i] != i:
            path.append(i)
            i = parent[i]
        for j in reversed(path):  # compress: offsets become offsets from the root
            if parent[j] != i:
                rel[j] += rel[parent[j]]
                parent[j] = i
        return i

    def union(a: Tensor, b: Tensor, d: int = 0) -> None:
        """Join the groups of ``a`` and ``b``, ``b`` lying ``d`` bytes after ``a``."""
        ia, ib = pos[a.uid], pos[b.uid]
        ra, rb = find(ia), find(ib)
        if ra == rb:
            return
        if ra < rb:  # the earlier tensor owns the storage
            parent[rb], rel[rb] = ra, rel[ia] + d - rel[ib]
        else:
            parent[ra], rel[ra] = rb, rel[ib] - d - rel[ia]

    in_place = []
    for n in graph.nodes:
        if n.alias is not None and not is_overlapping(n):
            if get_op(n.op).is_view:
                union(n.input(n.alias), n.output)
            else:
                in_place.append(n)
    ext = {t.uid for t in graph.inputs if not inputs_in_arena} | {
        t.uid for t in graph.outputs if not outputs_in_arena
    }
    ext_roots = {find(pos[u]) for u in ext if u in pos}
    for n in in_place:
        x, y = n.input(n.alias or 0), n.output
        if find(pos[x.uid]) not in ext_roots and find(pos[y.uid]) not in ext_roots:
            if n.op == "concat":  # every input is its slice of the output (passes/in_place)
                start = 0
                for part in n.inputs:
                    assert part is not None
                    union(y, part, start)
                    start += part.nbytes
            elif n.op == "split":  # every output is a view of its slice of the input
                start = 0
                for part in n.outputs:
                    union(x, part, start)
                    start += part.nbytes
            else:
                union(x, y)

    groups: list[StorageGroup] = []
    index: dict[int, int] = {}
    group_of_root: dict[int, int] = {}
    for i, t in enumerate(tensors):
        r = find(i)
        if r not in group_of_root:
            group_of_root[r] = len(groups)
            groups.append(StorageGroup(tensors[r], []))
        gi = group_of_root[r]
        index[t.uid] = gi
        groups[gi].members.append(t)
        if r != i and rel[i]:
            groups[gi].offsets[t.uid] = rel[i]
    for g in groups:  # the lowest member at offset 0
        low = min(g.offsets.values(), default=0)
        if low < 0:
            moved = {t.uid: g.offsets.get(t.uid, 0) - low for t in g.members}
            g.offsets = {u: o for u, o in moved.items() if o}

    last_step = max(len(graph.nodes) - 1, 0)
    birth: dict[int, int] = {}
    death: dict[int, int] = {}
    for t in graph.inputs:
        birth[t.uid], death[t.uid] = 0, 0
    for i, n in enumerate(graph.nodes):
        for inp in n.inputs:
            if inp is not None and not inp.is_const:
                death[inp.uid] = i
        for t in n.outputs:
            birth[t.uid], death[t.uid] = i, i
    for t in graph.outputs:
        if not t.is_const:
            death[t.uid] = last_step
    for g in groups:
        g.first = min(birth[t.uid] for t in g.members)
        g.last = max(death[t.uid] for t in g.members)
    return groups, index


def overlap_ties(
    graph: Graph, index: dict[int, int], groups: list[StorageGroup], alignment: int
) -> list[tuple[int, int, int]]:
    """``(input group, output group, D)`` of every overlapping in-place node whose groups are
    both in the arena (``(output group, input group, E)`` for a backward one), the offset
    rounded up to ``alignment``."""
    ties = []
    for n in graph.nodes:
        if is_overlapping(n):
            gx, gy = index[n.input(n.alias or 0).uid], index[n.output.uid]
            gs = (groups[gx], groups[gy])
            if gx != gy and not any(g.external or g.sliced for g in gs):
                d = (overlap_offset(n) + alignment - 1) // alignment * alignment
                ties.append((gy, gx, d) if n.backward else (gx, gy, d))
    return ties


def _accesses(graph: Graph, index: dict[int, int], num_groups: int) -> list[int]:
    """Number of steps that write or read each storage group."""
    touched: list[set[int]] = [set() for _ in range(num_groups)]
    for i, n in enumerate(graph.nodes):
        for t in [*n.inputs, *n.outputs]:
            if t is not None and t.uid in index:
                touched[index[t.uid]].add(i)
    return [max(len(s), 1) for s in touched]


def plan_memory(
    graph: Graph,
    alignment: int = 16,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    scratch: Sequence[tuple[int, int, str]] = (),
    pools: Sequence[Pool] = (),
) -> MemoryLayout:
    """Compute lifetimes and plan the activation arena for ``graph``.

    ``scratch`` lists kernel scratch areas as ``(step, bytes, name)``; each lives only during
    its step and is planned like any other buffer. With ``pools``, the buffers are placed across
    them (:func:`~mcuai.memory.pools.place_in_pools`, which raises
    :class:`~mcuai.memory.pools.PoolFitError` when they do not fit).
    """
    groups, index = storage_groups(graph, inputs_in_arena, outputs_in_arena)
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
    pool_plan = None
    if pools:
        accesses = _accesses(graph, index, len(groups))
        heat = {
            b.id: (accesses[b.id] if b.id < len(groups) else 2) / max(b.size, 1) for b in buffers
        }
        ties = overlap_ties(graph, index, groups, alignment)
        tried: list[tuple[int, PoolPlan, list[tuple[int, int, int]]]] = []
        error: PoolFitError | None = None
        for use in [ties, []] if ties else [[]]:
            try:
                pp = place_in_pools(buffers, pools, alignment, heat, use)
            except PoolFitError as e:
                error = error or e
                continue
            tried.append((sum(p.arena_size for p in pp.plans), pp, use))
        if not tried:
            assert error is not None
            raise error
        _, pool_plan, ties = min(tried, key=lambda c: c[0])  # the ties win on equal totals
        offsets: dict[int, int] = {}
        for p in pool_plan.plans:
            offsets.update(p.offsets)
        plan = Plan(
            offsets=offsets,
            arena_size=sum(p.arena_size for p in pool_plan.plans),
            lower_bound=lower_bound(buffers, ties),
            heuristic="pools",
            alignment=alignment,
            candidates={},
            ties=tuple(ties),
        )
    else:
        plan = plan_arena(buffers, alignment)
        ties = overlap_ties(graph, index, groups, alignment)
        if ties:
            tied = plan_arena(buffers, alignment, ties)
            if tied.arena_size < plan.arena_size:
                plan = tied
    scratch_offsets = {k: plan.offsets[len(groups) + k] for k in range(len(scratch))}
    return MemoryLayout(
        groups, index, buffers, plan, len(graph.nodes), scratch_offsets, pool_plan, plan.ties
    )
