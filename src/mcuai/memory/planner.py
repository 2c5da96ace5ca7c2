"""Static placement of activation buffers in one arena (no heap in the generated code).

A :class:`Buffer` is a block of ``size`` bytes that is live over the inclusive range of schedule
steps ``first..last``. Two buffers *conflict* when both have a non-zero size and their step ranges
intersect; conflicting buffers must not overlap in memory. A :class:`Plan` gives every buffer an
offset that is a multiple of ``alignment``; the arena size is the largest ``offset + size``.

Lower bound
    ``lower_bound`` is the largest total size of the buffers live at one step (a sweep over the
    start / end events of the lifetimes). The buffers live at that step pairwise conflict, so in
    any valid plan they occupy disjoint byte ranges inside ``[0, arena)``: the arena is at least
    the sum of their sizes, whatever the heuristic. Alignment padding can only add to that.

Placement of one buffer ``b`` (shared by all heuristics)
    1. Collect the already placed buffers that conflict with ``b``; sort their ``[offset, end)``
       spans by offset.
    2. Walk the spans with a cursor, starting at 0. Before span ``s``: ``[cursor, s.offset)``
       is free (no earlier span reaches past the cursor, no later span starts before
       ``s.offset``); keep it as a gap if it holds ``b.size`` bytes. Then
       ``cursor = max(cursor, align_up(s.end))``, so the cursor stays aligned.
    3. After the last span, everything from ``cursor`` upwards is free (the *top*).
    4. *First fit* takes the lowest gap at least ``b.size`` long, else the top. *Best fit* takes
       the shortest such gap (ties: lowest), else the top. Gap starts are aligned by
       construction, so every offset is aligned.

Heuristics (all are run; the smallest arena wins, ties go to the earliest in this list)
    1. ``greedy_by_size``: order by size descending (ties: earlier ``first``, then id); first
       fit. Big buffers are placed while the arena is empty and small ones fill the holes.
    2. ``greedy_by_first_use``: order by ``first`` (ties: larger size, then id), i.e. replay the
       schedule like an allocator; best fit, so the holes left by dead buffers are reused
       tightly.
    3. ``greedy_by_size_best_fit``: the order of 1 with the best fit of 2.
    4. ``greedy_by_area``: order by ``size * (last - first + 1)`` descending (ties: size, first,
       id); first fit. Long-lived skip-connection tensors go low before the short-lived ones.
    5. ``ping_pong``: order of 2; a *ceiling* ``C`` is the lower bound computed with aligned
       sizes. Besides the first-fit offset, compute the highest aligned offset whose gap holds
       ``b`` below ``C`` (the *high* fit). Let ``r`` be the conflicting placed buffer with the
       latest ``first``, then largest id (usually the input of the operator producing ``b``).
       If ``r`` lies in the lower half of ``[0, C)`` and a high fit exists, take it; otherwise
       first fit. Inputs and outputs thus alternate between the bottom and the top of the
       arena; on a pure chain this reaches the (aligned) lower bound, which 1-4 can miss.

Zero-size buffers get offset 0 and conflict with nothing.

Ties (overlapping in place, :mod:`mcuai.memory.overlap`)
    A tie ``(a, b, d)`` demands ``offset(a) = offset(b) + d`` (``d`` a multiple of the
    alignment): buffer ``a`` is the dead input of a layer whose kernel writes its output ``b``
    from ``d`` bytes below it, so the two may overlap at the one step both are live. Tied buffers
    form *compounds* (chains, in practice) placed as one rigid piece: each member keeps its own
    lifetime, so once the layer has run the input's bytes are free for other buffers. The lower
    bound subtracts, at each step where both buffers of a tie are live, the bytes they share.
    A compound is placed by first fit on its base offset: every placed buffer that conflicts
    with a member ``m`` (relative offset ``r``) forbids the bases in
    ``(start - r - size_m, aligned end - r)``; the lowest base outside all of them is taken
    (sweep over the forbidden intervals sorted by their lower end). A plan with ties is checked
    like any other, except that the two buffers of a tie may overlap (and must sit exactly
    ``d`` apart).

Cost: the conflicts of every buffer are found once (numpy masks, ``O(n^2)`` cheap work). A
placement then costs ``O(k log k)`` in Python for ``k`` conflicting buffers; buffers with more
than ``_DENSE`` conflicts run the same steps vectorised with numpy, so dense inputs stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["HEURISTICS", "Buffer", "Plan", "PlanError", "check_plan", "lower_bound", "plan_arena"]


class PlanError(Exception):
    """A plan breaks an invariant (two live buffers overlap, bad offset, arena too small)."""


@dataclass(frozen=True)
class Buffer:
    """``size`` bytes live from step ``first`` to step ``last`` (both inclusive)."""

    id: int
    size: int
    first: int
    last: int
    name: str = ""

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"buffer {self.label}: negative size {self.size}")
        if self.last < self.first:
            raise ValueError(f"buffer {self.label}: last step {self.last} < first {self.first}")

    @property
    def label(self) -> str:
        """Human-readable identification for messages."""
        return f"{self.name!r} (id {self.id})" if self.name else f"id {self.id}"


@dataclass(frozen=True)
class Plan:
    """Offsets of every buffer in the arena, and how the plan was found."""

    offsets: dict[int, int]  # buffer id -> byte offset (multiple of alignment)
    arena_size: int  # max(offset + size), 0 without buffers
    lower_bound: int  # largest total raw size live at one step
    heuristic: str  # heuristic whose plan was kept
    alignment: int
    candidates: dict[str, int]  # arena size found by every heuristic
    ties: tuple[tuple[int, int, int], ...] = ()  # (a, b, d): offset[a] = offset[b] + d


_Fit = Literal["first", "best", "ping_pong"]
_Key = Callable[[Buffer], tuple[int, ...]]


def _by_size(b: Buffer) -> tuple[int, ...]:
    return (-b.size, b.first, b.id)


def _by_first_use(b: Buffer) -> tuple[int, ...]:
    return (b.first, -b.size, b.id)


def _by_area(b: Buffer) -> tuple[int, ...]:
    return (-b.size * (b.last - b.first + 1), -b.size, b.first, b.id)


HEURISTICS: tuple[tuple[str, _Key, _Fit], ...] = (
    ("greedy_by_size", _by_size, "first"),
    ("greedy_by_first_use", _by_first_use, "best"),
    ("greedy_by_size_best_fit", _by_size, "best"),
    ("greedy_by_area", _by_area, "first"),
    ("ping_pong", _by_first_use, "ping_pong"),
)


def _align_up(x: int, alignment: int) -> int:
    return (x + alignment - 1) & -alignment


def _check_alignment(alignment: int) -> None:
    if type(alignment) is not int or alignment < 1 or alignment & (alignment - 1):
        raise ValueError(f"alignment must be a power of two >= 1, got {alignment!r}")


def _check_ids(buffers: Sequence[Buffer]) -> None:
    seen: set[int] = set()
    for b in buffers:
        if b.id in seen:
            raise ValueError(f"duplicate buffer id {b.id}")
        seen.add(b.id)


Tie = tuple[int, int, int]


def shared_bytes(a: Buffer, b: Buffer, d: int, alignment: int) -> int:
    """Bytes ``a`` (at ``d`` above ``b``) and ``b`` share, sizes rounded up to ``alignment``."""
    sa, sb = _align_up(a.size, alignment), _align_up(b.size, alignment)
    return max(0, min(d + sa, sb) - max(d, 0)) if a.size and b.size else 0


def _peak_tied(buffers: Sequence[Buffer], alignment: int, ties: Sequence[Tie]) -> int:
    """Largest live ``align_up(size)`` sum at one step, minus the bytes tied buffers share."""
    steps = max((b.last for b in buffers), default=0) + 2
    need = np.zeros(steps, dtype=np.int64)
    for b in buffers:
        if b.size:
            size = _align_up(b.size, alignment)
            need[b.first] += size
            need[b.last + 1] -= size
    need = np.cumsum(need)
    by_id = {b.id: b for b in buffers}
    for a_id, b_id, d in ties:
        a, b = by_id[a_id], by_id[b_id]
        lo, hi = max(a.first, b.first), min(a.last, b.last)
        if lo <= hi:
            need[lo : hi + 1] -= shared_bytes(a, b, d, alignment)
    return int(need.max(initial=0))


def _peak(buffers: Sequence[Buffer], alignment: int, ties: Sequence[Tie] = ()) -> int:
    """Largest sum of ``align_up(size)`` over the buffers live at one step (minus tied
    overlaps)."""
    if ties:
        return _peak_tied(buffers, alignment, ties)
    events: list[tuple[int, int]] = []
    for b in buffers:
        if b.size:
            size = _align_up(b.size, alignment)
            events += [(b.first, size), (b.last + 1, -size)]
    events.sort()  # at equal steps the ends (negative) come before the starts
    live = peak = 0
    for _, delta in events:
        live += delta
        peak = max(peak, live)
    return peak


def lower_bound(buffers: Sequence[Buffer], ties: Sequence[Tie] = ()) -> int:
    """Largest sum of (raw) sizes of the buffers live at one step, minus the bytes the buffers
    of a tie share at the steps where both are live; no plan can do better."""
    return _peak(buffers, 1, ties)


_DENSE = 48  # a buffer with more conflicts than this is placed with numpy (vectorised)


def _conflicts(buffers: Sequence[Buffer]) -> list[list[int] | None]:
    """For every buffer (by position), the positions it conflicts with; None when dense."""
    first = np.array([b.first for b in buffers], dtype=np.int64)
    last = np.array([b.last for b in buffers], dtype=np.int64)
    sized = np.array([b.size > 0 for b in buffers], dtype=bool)
    nbrs: list[list[int] | None] = []
    for i, b in enumerate(buffers):
        if not b.size:
            nbrs.append([])
            continue
        near = np.flatnonzero(sized & (first <= b.last) & (last >= b.first))
        nbrs.append(near[near != i].tolist() if len(near) <= _DENSE + 1 else None)
    return nbrs


def _gaps(size: int, spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
    """Free gaps at least ``size`` long below sorted ``(offset, aligned end)`` spans, and the top.

    Steps 2-3 of the docstring; the numpy twin is in :func:`_run`.
    """
    gaps: list[tuple[int, int]] = []
    cursor = 0
    for start, end in spans:
        if start - cursor >= size:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    return gaps, cursor


def _choose(
    size: int, gaps: list[tuple[int, int]], top: int, *, fit: _Fit, alignment: int, ceiling: int
) -> int:
    """Step 4 of the docstring; for ping-pong, ``ceiling`` > 0 asks for the high fit."""
    if fit == "best" and gaps:
        return min(gaps, key=lambda g: g[1] - g[0])[0]  # min keeps the lowest among equals
    if fit == "ping_pong" and ceiling:
        high = -1
        for lo, hi in [*gaps, (top, ceiling)]:
            off = (min(hi, ceiling) - size) & -alignment
            if off >= lo:
                high = off  # gaps come in increasing order: the last one is the highest
        if high >= 0:
            return high
    return gaps[0][0] if gaps else top


Compound = list[tuple[int, int]]  # (position, offset relative to the compound's base)


def _compounds(buffers: Sequence[Buffer], ties: Sequence[Tie]) -> dict[int, Compound]:
    """Tied buffers grouped by position of their leader (smallest position), relative offsets
    normalised so that the lowest member is at 0. Raises on inconsistent ties."""
    pos = {b.id: i for i, b in enumerate(buffers)}
    adj: dict[int, list[tuple[int, int]]] = {}
    for a_id, b_id, d in ties:
        a, b = pos[a_id], pos[b_id]
        adj.setdefault(a, []).append((b, -d))  # offset[b] = offset[a] - d
        adj.setdefault(b, []).append((a, d))
    seen: dict[int, int] = {}
    out: dict[int, Compound] = {}
    for start in sorted(adj):
        if start in seen:
            continue
        rel = {start: 0}
        todo = [start]
        while todo:
            u = todo.pop()
            for v, d in adj[u]:
                if v not in rel:
                    rel[v] = rel[u] + d
                    todo.append(v)
                elif rel[v] != rel[u] + d:
                    raise ValueError(f"inconsistent ties around buffer {buffers[v].label}")
        low = min(rel.values())
        leader = min(rel)
        for v in rel:
            seen[v] = leader
        out[leader] = sorted((v, r - low) for v, r in rel.items())
    return out


def _place_compound(
    buffers: Sequence[Buffer],
    members: Compound,
    np_offs: np.ndarray,
    np_ends: np.ndarray,
    np_first: np.ndarray,
    np_last: np.ndarray,
) -> int:
    """Lowest base offset at which no member overlaps a conflicting placed buffer (first fit;
    the sweep of the module docstring). Offsets of the members are ``base + rel``."""
    forbidden: list[tuple[int, int]] = []
    placed = np_offs >= 0
    for j, r in members:
        m = buffers[j]
        if not m.size:
            continue
        idx = np.flatnonzero(placed & (np_first <= m.last) & (np_last >= m.first))
        for s, e in zip(np_offs[idx].tolist(), np_ends[idx].tolist(), strict=True):
            forbidden.append((s - r - m.size, e - r))  # base in (low, high) is forbidden
    cursor = 0
    for low, high in sorted(forbidden):
        if cursor <= low:
            break
        cursor = max(cursor, high)
    return cursor


def _run(
    buffers: Sequence[Buffer],
    nbrs: list[list[int] | None],
    key: _Key,
    fit: _Fit,
    alignment: int,
    ties: Sequence[Tie] = (),
) -> list[int]:
    """Offsets (by position) given by one heuristic."""
    n = len(buffers)
    ceiling = _peak(buffers, alignment, ties) if fit == "ping_pong" else 0
    offs, ends = [-1] * n, [0] * n  # offset (-1: not placed yet) and aligned end
    firsts, ids = [b.first for b in buffers], [b.id for b in buffers]
    np_offs, np_ends = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    np_first = np.array(firsts, dtype=np.int64)
    np_last, np_ids = np.array([b.last for b in buffers], dtype=np.int64), np.array(ids)
    comps = _compounds(buffers, ties) if ties else {}
    follower = {j for c in comps.values() for j, _ in c} - set(comps)
    proxy: dict[int, Buffer] = {}  # what the heuristic's key sees for a compound
    for lead, members in comps.items():
        mb = [buffers[j] for j, _ in members]
        extent = max(r + buffers[j].size for j, r in members)
        first, last = min(b.first for b in mb), max(b.last for b in mb)
        proxy[lead] = Buffer(buffers[lead].id, extent, first, last)
    order = [i for i in range(n) if i not in follower]
    for i in sorted(order, key=lambda i: key(proxy.get(i, buffers[i]))):
        b = buffers[i]
        if i in comps:
            base = _place_compound(buffers, comps[i], np_offs, np_ends, np_first, np_last)
            for j, r in comps[i]:
                offs[j], ends[j] = base + r, _align_up(base + r + buffers[j].size, alignment)
                np_offs[j], np_ends[j] = offs[j], ends[j]
            continue
        if not b.size:
            offs[i] = 0
            continue
        near = nbrs[i]
        if near is None:  # dense: the same steps as _gaps, vectorised
            idx = np.flatnonzero((np_offs >= 0) & (np_first <= b.last) & (np_last >= b.first))
            idx = idx[np.argsort(np_offs[idx], kind="stable")]
            starts = np_offs[idx]
            cursors = np.maximum.accumulate(np.concatenate(([0], np_ends[idx])))
            ok = np.flatnonzero(starts - cursors[:-1] >= b.size)
            gaps = list(zip(cursors[ok].tolist(), starts[ok].tolist(), strict=True))
            top = int(cursors[-1])
            ref = int(idx[np.lexsort((np_ids[idx], np_first[idx]))[-1]]) if len(idx) else -1
        else:
            placed = sorted((j for j in near if offs[j] >= 0), key=offs.__getitem__)
            gaps, top = _gaps(b.size, [(offs[j], ends[j]) for j in placed])
            ref = max(placed, key=lambda j: (firsts[j], ids[j]), default=-1)
        # ping-pong: go high when the reference buffer sits in the lower half of the ceiling
        high = fit == "ping_pong" and ref >= 0 and 2 * offs[ref] + buffers[ref].size < ceiling
        off = _choose(
            b.size, gaps, top, fit=fit, alignment=alignment, ceiling=ceiling if high else 0
        )
        offs[i], ends[i] = off, _align_up(off + b.size, alignment)
        np_offs[i], np_ends[i] = offs[i], ends[i]
    return offs


def plan_arena(buffers: Sequence[Buffer], alignment: int = 16, ties: Sequence[Tie] = ()) -> Plan:
    """Place ``buffers`` with every heuristic and keep the smallest arena. ``ties``: see the
    module docstring (every ``d`` a multiple of ``alignment``)."""
    _check_alignment(alignment)
    _check_ids(buffers)
    for _, _, d in ties:
        if d % alignment:
            raise ValueError(f"tie offset {d} is not a multiple of the alignment {alignment}")
    nbrs = _conflicts(buffers)
    candidates: dict[str, int] = {}
    best: tuple[str, list[int]] | None = None
    for name, key, fit in HEURISTICS:
        offsets = _run(buffers, nbrs, key, fit, alignment, ties)
        candidates[name] = max(
            (o + b.size for o, b in zip(offsets, buffers, strict=True)), default=0
        )
        if best is None or candidates[name] < candidates[best[0]]:
            best = (name, offsets)
    assert best is not None
    name, offsets = best
    return Plan(
        offsets={b.id: o for b, o in zip(buffers, offsets, strict=True)},
        arena_size=candidates[name],
        lower_bound=lower_bound(buffers, ties),
        heuristic=name,
        alignment=alignment,
        candidates=candidates,
        ties=tuple(ties),
    )


def check_plan(buffers: Sequence[Buffer], plan: Plan) -> None:
    """Raise :class:`PlanError` unless ``plan`` is a valid placement of ``buffers``."""
    _check_ids(buffers)
    align = plan.alignment
    if align < 1 or align & (align - 1):
        raise PlanError(f"plan alignment {align} is not a power of two")
    for b in buffers:
        off = plan.offsets.get(b.id)
        if off is None:
            raise PlanError(f"buffer {b.label} has no offset")
        if off < 0 or off % align:
            raise PlanError(f"buffer {b.label}: offset {off} is not a multiple of {align} >= 0")
        if off + b.size > plan.arena_size:
            raise PlanError(
                f"buffer {b.label} ends at {off + b.size}, past the arena size {plan.arena_size}"
            )
    tied: set[tuple[int, int]] = set()
    for a_id, b_id, d in plan.ties:
        if plan.offsets.get(a_id, -1) - plan.offsets.get(b_id, -1) != d:
            raise PlanError(f"tie ({a_id}, {b_id}, {d}): offsets are not {d} apart")
        tied |= {(a_id, b_id), (b_id, a_id)}
    live = sorted((b for b in buffers if b.size), key=lambda b: (b.first, b.id))
    for p, b in enumerate(live):
        lo = plan.offsets[b.id]
        for q in range(p + 1, len(live)):
            c = live[q]
            if c.first > b.last:
                break
            clo = plan.offsets[c.id]
            if clo < lo + b.size and lo < clo + c.size and (b.id, c.id) not in tied:
                raise PlanError(
                    f"buffers {b.label} [{lo}, {lo + b.size}) and {c.label} "
                    f"[{clo}, {clo + c.size}) overlap in memory and are both live at step "
                    f"{c.first}"
                )
