"""Choose the execution order (a topological order) with the lowest activation peak.

On a chain there is one order. On a graph with branches (residual blocks with a shortcut
convolution, multi-output heads, inception-like blocks) the order decides which tensors are
live together: computing a shortcut early keeps its output over the main branch, computing it
late keeps the block input instead.

Memory model (the planner's lower bound of :mod:`mcuai.memory`, before alignment, with the model
inputs and outputs inside the arena):

- tensors joined by views (``node.alias`` of view ops, set by ``alias_views``) are one *group*;
- a group is live from the step of the node producing it (model inputs: from the start) up to
  the last step reading any member (model outputs: to the end);
- at a step, the bytes needed are those of the live groups plus the node's new groups and its
  kernel scratch;
- in place: when the node's kernel may write over an input (:func:`mcuai.passes.in_place.
  candidates`) whose group is read for the last time at this step, the output takes that
  storage and the step needs the output's size less. ``in_place`` runs right after this pass
  with the same rule, so the model is what the planner will see.

``peak(order)`` is the largest need over the steps.

Search: after executing a set ``S`` of nodes, the live groups and the next step's need depend
only on ``S`` (not on the order inside it). So the lowest peak reachable for ``S`` obeys
``f(S + v) = min over v of max(f(S), need(S, v))``: dynamic programming over the sets closed
under predecessors, one layer per number of executed nodes. It is exact while no layer is
pruned; a layer with more than ``min(MAX_STATES, MAX_WORK / (nodes x ready nodes per set))``
sets keeps that many best ones by (peak so far, live bytes, set) — a beam search, deterministic,
reported as ``"beam"``, whose run time stays around a second on any graph. Ties keep the
first order found; sets are expanded in insertion order and nodes in their original order, so
the result is deterministic and stays close to the model's order. The original order is kept
unless the best order found is strictly lower.

The result is recorded in ``graph.metadata`` (``schedule.peak_before``,
``schedule.peak_after``: bytes; ``schedule.search``: ``exact``, ``beam`` or ``chain``;
``schedule.reordered``: ``yes``/``no``); :func:`schedule_info` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor
from mcuai.ops import get_op
from mcuai.passes import in_place

#: Largest number of executed-node sets kept per layer before the search becomes a beam.
MAX_STATES = 1000
#: Budget of (set, next node) expansions over the whole search (about a second of Python):
#: on wide graphs the beam narrows so that layers x kept sets x ready nodes stays below it.
MAX_WORK = 200_000


@dataclass
class _Model:
    """The graph as the search sees it (nodes by original index, groups by index)."""

    n: int
    size: list[int]  # group -> bytes
    readers: list[int]  # group -> mask of the nodes reading a member
    output: list[bool]  # group holds a model output
    born: list[list[int]]  # node -> groups it creates
    reads: list[list[int]]  # node -> distinct groups it reads
    scratch: list[int]  # node -> scratch bytes
    in_place: list[list[int]]  # node -> groups of the inputs it may overwrite
    out_bytes: list[int]  # node -> bytes of its output (saved when in place)
    preds: list[int]  # node -> mask of its predecessors
    succs: list[list[int]]  # node -> successors, ascending
    live0: int  # bytes live before the first step (model inputs)


def _model(graph: Graph) -> _Model:
    nodes = graph.nodes
    n = len(nodes)
    tensors: list[Tensor] = []
    pos: dict[int, int] = {}
    for t in [*graph.inputs, *(t for nd in nodes for t in nd.outputs)]:
        if t.uid not in pos:
            pos[t.uid] = len(tensors)
            tensors.append(t)
    parent = list(range(len(tensors)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for nd in nodes:
        if nd.alias is not None:
            a, b = find(pos[nd.input(nd.alias).uid]), find(pos[nd.output.uid])
            parent[max(a, b)] = min(a, b)
    roots = sorted({find(i) for i in range(len(tensors))})
    gid = {r: k for k, r in enumerate(roots)}

    def group(t: Tensor) -> int:
        return gid[find(pos[t.uid])]

    ng = len(roots)
    size = [0] * ng
    for t in tensors:
        g = group(t)
        size[g] = max(size[g], t.nbytes)
    output = [False] * ng
    for t in graph.outputs:
        if t.uid in pos:
            output[group(t)] = True
    producer = {t.uid: i for i, nd in enumerate(nodes) for t in nd.outputs}
    readers = [0] * ng
    reads: list[list[int]] = []
    preds = [0] * n
    succs: list[list[int]] = [[] for _ in range(n)]
    for i, nd in enumerate(nodes):
        gs: list[int] = []
        for x in nd.inputs:
            if x is None or x.is_const or x.uid not in pos:
                continue
            g = group(x)
            readers[g] |= 1 << i
            if g not in gs:
                gs.append(g)
            p = producer.get(x.uid)
            if p is not None and not preds[i] >> p & 1:
                preds[i] |= 1 << p
                succs[p].append(i)
        reads.append(gs)
    born: list[list[int]] = [[] for _ in range(n)]
    for r in roots:
        p = producer.get(tensors[r].uid)
        if p is not None:
            born[p].append(gid[r])
    scratch: list[int] = []
    cands: list[list[int]] = []
    for nd in nodes:
        calls = in_place.lowered(nd)
        scratch.append(sum(c.scratch_bytes for c in calls or []))
        cands.append([group(nd.input(k)) for k in in_place.candidates(nd, calls)])
    inputs = {group(t) for t in graph.inputs}
    live0 = sum(size[g] for g in sorted(inputs) if readers[g] or output[g])
    return _Model(
        n,
        size,
        readers,
        output,
        born,
        reads,
        scratch,
        cands,
        [nd.output.nbytes if nd.outputs else 0 for nd in nodes],
        preds,
        [sorted(s) for s in succs],
        live0,
    )


def _step(m: _Model, done: int, live: int, v: int) -> tuple[int, int]:
    """(bytes needed while node ``v`` runs after the set ``done``, live bytes after it)."""
    after = done | 1 << v
    born = sum(m.size[g] for g in m.born[v])
    need = live + born + m.scratch[v]
    if any(not m.readers[g] & ~after and not m.output[g] for g in m.in_place[v]):
        need -= m.out_bytes[v]
    freed = sum(
        m.size[g]
        for g in [*m.reads[v], *m.born[v]]
        if not m.readers[g] & ~after and not m.output[g]
    )
    return need, live + born - freed


def peak_of(m: _Model, order: list[int]) -> int:
    """Peak of executing the nodes in ``order`` (original indices)."""
    done, live, peak = 0, m.live0, 0
    for v in order:
        need, live = _step(m, done, live, v)
        peak = max(peak, need)
        done |= 1 << v
    return peak


@dataclass
class _State:
    peak: int
    live: int
    ready: tuple[int, ...]


def best_order(m: _Model) -> tuple[list[int], int, str]:
    """(order, its peak, ``"exact"``/``"beam"``/``"chain"``) — see the module docstring."""
    ready0 = tuple(v for v in range(m.n) if not m.preds[v])
    layer: dict[int, _State] = {0: _State(0, m.live0, ready0)}
    back: dict[int, tuple[int, int]] = {}
    search = "chain"
    for _ in range(m.n):
        nxt: dict[int, _State] = {}
        for done, st in layer.items():
            if len(st.ready) > 1 and search == "chain":
                search = "exact"
            for v in st.ready:
                need, live = _step(m, done, st.live, v)
                peak = max(st.peak, need)
                after = done | 1 << v
                old = nxt.get(after)
                if old is not None and old.peak <= peak:
                    continue
                ready = tuple(
                    sorted(
                        [u for u in st.ready if u != v]
                        + [w for w in m.succs[v] if not m.preds[w] & ~after]
                    )
                )
                nxt[after] = _State(peak, live, ready)
                back[after] = (done, v)
        width = max(1, sum(len(st.ready) for st in nxt.values()) // max(len(nxt), 1))
        keep = max(4, min(MAX_STATES, MAX_WORK // (max(m.n, 1) * width)))
        if len(nxt) > keep:
            search = "beam"
            kept = set(sorted(nxt, key=lambda s: (nxt[s].peak, nxt[s].live, s))[:keep])
            nxt = {s: st for s, st in nxt.items() if s in kept}  # insertion order stays
        layer = nxt
    full = (1 << m.n) - 1
    order: list[int] = []
    s = full
    while s:
        s, v = back[s]
        order.append(v)
    order.reverse()
    return order, layer[full].peak if m.n else 0, search


def run(graph: Graph) -> Graph:
    nodes = graph.nodes
    if any(nd.alias is not None and not get_op(nd.op).is_view for nd in nodes):
        # in-place decisions depend on the order: never reorder after them
        return graph
    m = _model(graph)
    before = peak_of(m, list(range(m.n)))
    order, after, search = best_order(m) if m.n else ([], 0, "chain")
    reordered = after < before
    if reordered:
        graph.nodes = [nodes[i] for i in order]
    else:
        after = before
    graph.metadata["schedule.peak_before"] = str(before)
    graph.metadata["schedule.peak_after"] = str(after)
    graph.metadata["schedule.search"] = search
    graph.metadata["schedule.reordered"] = "yes" if reordered else "no"
    return graph


def schedule_info(graph: Graph) -> dict[str, int | str | bool] | None:
    """What :func:`run` recorded: ``peak_before``, ``peak_after`` (bytes), ``search``,
    ``reordered``; ``None`` when the pass did not run."""
    md = graph.metadata
    if "schedule.peak_before" not in md:
        return None
    return {
        "peak_before": int(md["schedule.peak_before"]),
        "peak_after": int(md["schedule.peak_after"]),
        "search": md["schedule.search"],
        "reordered": md["schedule.reordered"] == "yes",
    }
