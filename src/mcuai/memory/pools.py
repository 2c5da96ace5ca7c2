"""Memory pools: activation buffers spread over several named RAM regions.

A pool file (``--memory-pool FILE``) is JSON, either a list of pools or an object with a
``"pools"`` list; each pool has a ``name`` (a C identifier, unique), a ``size`` (bytes: an
integer, or a string such as ``"128KiB"``, ``"128K"``, ``"1MiB"``, ``"0x20000"``) and an optional
``"fast": true``::

    {"pools": [{"name": "dtcm", "size": "128KiB", "fast": true},
               {"name": "axi_sram", "size": "512KiB"}]}

Placement (:func:`place_in_pools`), deterministic:

1. Pools are tried fast ones first, then the others, each group in file order.
2. Buffers are taken hottest first: *heat* is accesses per byte (the number of steps that write
   or read the buffer, divided by its size), so small, often used buffers (scratch areas, small
   activations) come first; ties: smaller size, earlier first step, id.
3. Each buffer goes to the first pool in which, at every step of its lifetime, the aligned bytes
   already assigned plus its own stay within the pool's size (a per-step capacity check, the
   lower bound of that pool's plan).
4. Every pool is then planned with :func:`~mcuai.memory.planner.plan_arena` (all heuristics).
   Should fragmentation make a plan exceed its pool, the coldest buffer of that pool moves to a
   later pool that has room, and the pool is planned again.
5. When a buffer fits no pool, steps 3-4 are tried once more with the buffers taken largest
   first (the order that packs best). If that fails too, :class:`PoolFitError` names the
   buffer, its lifetime and what each pool had left, or the overall shortfall when the pools
   are too small altogether.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcuai.errors import McuaiError, UsageError
from mcuai.memory.planner import Buffer, Plan, lower_bound, plan_arena, shared_bytes

__all__ = ["Pool", "PoolFitError", "PoolPlan", "load_pools", "parse_bytes", "place_in_pools"]


class PoolFitError(McuaiError):
    """The activations do not fit the given memory pools."""


@dataclass(frozen=True)
class Pool:
    """A RAM region for activations: ``size`` bytes, ``fast`` (e.g. a TCM) pools are filled
    first."""

    name: str
    size: int
    fast: bool = False


@dataclass(frozen=True)
class PoolPlan:
    """Which pool holds every buffer and the plan of each pool (offsets inside the pool)."""

    pools: tuple[Pool, ...]
    assignment: dict[int, int]  # buffer id -> index in ``pools``
    plans: tuple[Plan, ...]  # one per pool, in ``pools`` order

    def used(self, k: int) -> int:
        """Bytes of pool ``k`` the plan uses."""
        return self.plans[k].arena_size


_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1 << 20, "mb": 1 << 20}
_UNITS["mib"] = 1 << 20


def parse_bytes(value: object, what: str = "size") -> int:
    """Bytes from an int or a string like ``"131072"``, ``"128K"``, ``"128KiB"``, ``"1MiB"``,
    ``"0x20000"`` (K, KB and KiB all mean 1024). Raises :class:`UsageError`."""
    if isinstance(value, bool):
        raise UsageError(f"{what}: expected a number of bytes, got {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|\d+)\s*([A-Za-z]*)", text)
        if m is None or m.group(2).lower() not in _UNITS:
            raise UsageError(
                f"{what}: cannot read {value!r} as bytes (examples: 131072, 128K, 128KiB, 0x20000)"
            )
        n = int(m.group(1), 0) * _UNITS[m.group(2).lower()]
    else:
        raise UsageError(f"{what}: expected a number of bytes, got {value!r}")
    if n < 0:
        raise UsageError(f"{what}: must not be negative, got {value!r}")
    return n


def parse_pools(data: Any, where: str) -> list[Pool]:
    """Pools from decoded JSON (see the module docstring); ``where`` names the source."""
    items = data.get("pools") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise UsageError(f'{where}: expected a non-empty list of pools (or {{"pools": [...]}})')
    pools: list[Pool] = []
    seen: set[str] = set()
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise UsageError(f"{where}: pool {k} is not an object")
        unknown = sorted(set(item) - {"name", "size", "fast"})
        if unknown:
            raise UsageError(f"{where}: pool {k} has unknown field(s) {', '.join(unknown)}")
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"{where}: pool {k}: name {name!r} is not a C identifier")
        if name.lower() in seen:
            raise UsageError(f"{where}: pool name {name!r} is used twice (case-insensitively)")
        seen.add(name.lower())
        if "size" not in item:
            raise UsageError(f"{where}: pool {name!r} has no size")
        size = parse_bytes(item["size"], f"{where}: pool {name!r} size")
        if size == 0:
            raise UsageError(f"{where}: pool {name!r} has size 0")
        fast = item.get("fast", False)
        if not isinstance(fast, bool):
            raise UsageError(f"{where}: pool {name!r}: fast must be true or false")
        pools.append(Pool(name, size, fast))
    return pools


def load_pools(path: str | Path) -> list[Pool]:
    """Read a pool file (JSON). Raises :class:`UsageError` naming the file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{p}: cannot read the memory pool file ({e.strerror})") from None
    except ValueError as e:
        raise UsageError(f"{p}: not valid JSON ({e})") from None
    return parse_pools(data, str(p))


def _align_up(x: int, alignment: int) -> int:
    return (x + alignment - 1) & -alignment


def _pool_order(pools: Sequence[Pool]) -> list[int]:
    return sorted(range(len(pools)), key=lambda k: (not pools[k].fast, k))


def place_in_pools(
    buffers: Sequence[Buffer],
    pools: Sequence[Pool],
    alignment: int,
    heat: Mapping[int, float],
    ties: Sequence[tuple[int, int, int]] = (),
) -> PoolPlan:
    """Assign every buffer to a pool and plan each pool (module docstring, steps 1-5).

    ``heat`` maps buffer id -> accesses per byte (missing: 0). ``ties`` (overlapping in
    place, :mod:`mcuai.memory.planner`): tied buffers go to one pool together (the capacity
    check counts each of them in full) and are planned there with their ties."""
    if not pools:
        raise UsageError("no memory pools given")
    by_heat = sorted(buffers, key=lambda b: (-heat.get(b.id, 0.0), b.size, b.first, b.id))
    try:
        return _attempt(buffers, pools, alignment, by_heat, ties)
    except PoolFitError as first_error:
        # the heat order may strand a large buffer: fall back to largest first, which packs
        # best, before giving up
        by_size = sorted(buffers, key=lambda b: (-b.size, b.first, b.id))
        try:
            return _attempt(buffers, pools, alignment, by_size, ties)
        except PoolFitError:
            raise first_error from None


def _attempt(
    buffers: Sequence[Buffer],
    pools: Sequence[Pool],
    alignment: int,
    rank: list[Buffer],
    ties: Sequence[tuple[int, int, int]] = (),
) -> PoolPlan:
    """Steps 1, 3-5 with the buffers taken in ``rank`` order."""
    order = _pool_order(pools)
    steps = max((b.last + 1 for b in buffers), default=1)
    usage = [np.zeros(steps, dtype=np.int64) for _ in pools]
    assign: dict[int, int] = {}
    by_id = {b.id: b for b in buffers}
    tied: dict[int, list[Buffer]] = {}  # buffer id -> its compound (tied buffers)
    for a, c, _ in ties:
        group = {id(x): x for x in [*tied.get(a, [by_id[a]]), *tied.get(c, [by_id[c]])]}
        members = sorted(group.values(), key=lambda b: b.id)
        for m in members:
            tied[m.id] = members

    def need(b: Buffer) -> np.ndarray:
        """Aligned bytes ``b`` (with its compound) occupies at each step, tied bytes once."""
        extra = np.zeros(steps, dtype=np.int64)
        members = tied.get(b.id, [b])
        for m in members:
            extra[m.first : m.last + 1] += _align_up(m.size, alignment)
        ids = {m.id for m in members}
        for a, c, d in ties:
            if a in ids:
                x, y = by_id[a], by_id[c]
                lo, hi = max(x.first, y.first), min(x.last, y.last)
                if lo <= hi:
                    extra[lo : hi + 1] -= shared_bytes(x, y, d, alignment)
        return extra

    def fits(b: Buffer, k: int) -> bool:
        return int((usage[k] + need(b)).max()) <= pools[k].size

    def put(b: Buffer, k: int, sign: int = 1) -> None:
        usage[k] += sign * need(b)
        if sign > 0:
            for m in tied.get(b.id, [b]):
                assign[m.id] = k

    def no_room(b: Buffer) -> PoolFitError:
        aligned = [Buffer(x.id, _align_up(x.size, alignment), x.first, x.last) for x in buffers]
        need = lower_bound(aligned, ties)
        total = sum(p.size for p in pools)
        if need > total:
            return PoolFitError(
                f"the activations need at least {need:,} B at their busiest step but the memory "
                f"pools hold {total:,} B in total ({_pool_list(pools)})"
            )
        free = ", ".join(
            f"{pools[k].name} {pools[k].size - int(usage[k][b.first : b.last + 1].max()):,} B"
            for k in order
        )
        return PoolFitError(
            f"buffer {b.label} ({b.size:,} B, live from step {b.first} to {b.last}) fits in no "
            f"memory pool: room left at its busiest step: {free}"
        )

    for b in rank:
        if b.id in assign:  # placed with its compound
            continue
        if not b.size and b.id not in tied:
            assign[b.id] = order[0]
            continue
        k = next((k for k in order if fits(b, k)), None)
        if k is None:
            raise no_room(b)
        put(b, k)

    plans: dict[int, Plan] = {}
    for pos, k in enumerate(order):
        while True:
            members = [b for b in buffers if assign[b.id] == k]
            inside = [t for t in ties if assign[t[0]] == k]
            plan = plan_arena(members, alignment, inside)
            if plan.arena_size <= pools[k].size:
                plans[k] = plan
                break
            # fragmentation: move the coldest buffer of this pool to a later pool with room
            cold = next(b for b in reversed(rank) if assign[b.id] == k and b.size)
            put(cold, k, -1)
            later = next((j for j in order[pos + 1 :] if fits(cold, j)), None)
            if later is None:
                raise PoolFitError(
                    f"memory pool '{pools[k].name}' ({pools[k].size:,} B) cannot hold its "
                    f"buffers without overlap ({plan.arena_size:,} B needed after placement) "
                    f"and no later pool has room for {cold.label} ({cold.size:,} B)"
                )
            put(cold, later)
    return PoolPlan(tuple(pools), assign, tuple(plans[k] for k in range(len(pools))))


def _pool_list(pools: Sequence[Pool]) -> str:
    return ", ".join(f"{p.name} {p.size:,} B" + (" fast" if p.fast else "") for p in pools)
