"""Tests of the activation-arena planner (pure Python, no model needed)."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcuai.memory import (
    HEURISTICS,
    Buffer,
    Plan,
    PlanError,
    check_plan,
    lower_bound,
    plan_arena,
    planner,
)

ALIGNMENTS = [1, 4, 8, 16, 32]
NAMES = [name for name, _, _ in HEURISTICS]


def align_up(x: int, a: int) -> int:
    return -(-x // a) * a


def brute_lower_bound(buffers: list[Buffer], a: int = 1) -> int:
    """Step-by-step sum of the sizes live at each step (independent of the sweep)."""
    steps = {s for b in buffers for s in (b.first, b.last)}
    return max(
        (sum(align_up(b.size, a) for b in buffers if b.first <= s <= b.last) for s in steps),
        default=0,
    )


def assert_no_overlap(buffers: list[Buffer], offsets: dict[int, int]) -> None:
    """Pairwise check, written independently of ``check_plan``."""
    for i, b in enumerate(buffers):
        for c in buffers[i + 1 :]:
            if b.size and c.size and b.first <= c.last and c.first <= b.last:
                ob, oc = offsets[b.id], offsets[c.id]
                assert ob + b.size <= oc or oc + c.size <= ob, (b, c, ob, oc)


@st.composite
def buffer_sets(draw: st.DrawFn, max_size: int = 100_000) -> list[Buffer]:
    n = draw(st.integers(0, 80))
    ids = draw(st.lists(st.integers(-(10**6), 10**6), min_size=n, max_size=n, unique=True))
    out = []
    for k, ident in enumerate(ids):
        first = draw(st.integers(0, 60))
        last = draw(st.integers(first, 60))
        out.append(Buffer(ident, draw(st.integers(0, max_size)), first, last, f"t{k}"))
    return out


@settings(max_examples=300, deadline=None)
@given(buffer_sets(), st.sampled_from(ALIGNMENTS))
def test_random_plans_are_valid(buffers: list[Buffer], a: int) -> None:
    plan = plan_arena(buffers, a)
    check_plan(buffers, plan)
    assert_no_overlap(buffers, plan.offsets)
    assert list(plan.offsets) == [b.id for b in buffers]
    assert all(off % a == 0 and off >= 0 for off in plan.offsets.values())
    assert all(plan.offsets[b.id] == 0 for b in buffers if b.size == 0)
    assert plan.alignment == a
    assert plan.arena_size == max((plan.offsets[b.id] + b.size for b in buffers), default=0)
    # bounds: the lower bound (checked against a brute force) and the sum of aligned sizes
    assert plan.lower_bound == lower_bound(buffers) == brute_lower_bound(buffers)
    assert plan.lower_bound <= plan.arena_size <= sum(align_up(b.size, a) for b in buffers)
    # candidates: every heuristic reported, the kept one is the first smallest
    assert list(plan.candidates) == NAMES
    assert all(size >= plan.arena_size for size in plan.candidates.values())
    assert plan.candidates[plan.heuristic] == plan.arena_size
    assert plan.heuristic == min(NAMES, key=lambda name: (plan.candidates[name], NAMES.index(name)))
    # deterministic
    assert plan_arena(list(buffers), a) == plan


@settings(max_examples=50, deadline=None)
@given(buffer_sets(), st.sampled_from(ALIGNMENTS))
def test_dense_and_sparse_paths_agree(buffers: list[Buffer], a: int) -> None:
    """The numpy placement (many conflicts) computes exactly what the Python one does."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(planner, "_DENSE", 0)
        dense = plan_arena(buffers, a)
        mp.setattr(planner, "_DENSE", 10**9)
        sparse = plan_arena(buffers, a)
    assert dense == sparse


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 5000), min_size=1, max_size=40),
    st.sampled_from(ALIGNMENTS),
    st.booleans(),
)
def test_chain_reaches_the_lower_bound(sizes: list[int], a: int, aligned: bool) -> None:
    """Buffer i live at steps i..i+1: two live buffers per step, optimum = max adjacent pair."""
    if aligned:
        sizes = [s * a for s in sizes]
    buffers = [Buffer(i, s, i, i + 1) for i, s in enumerate(sizes)]
    plan = plan_arena(buffers, a)
    check_plan(buffers, plan)
    pairs = [sizes[0], *(x + y for x, y in itertools.pairwise(sizes))]
    assert plan.lower_bound == max(pairs)
    padded = [align_up(s, a) for s in sizes]
    aligned_pairs = max([padded[0], *(x + y for x, y in itertools.pairwise(padded))])
    assert plan.lower_bound <= plan.arena_size <= aligned_pairs
    if aligned:
        assert plan.arena_size == plan.lower_bound == max(pairs)


def test_chain_examples_show_why_several_heuristics() -> None:
    def chain(units: list[int]) -> Plan:
        return plan_arena([Buffer(i, 16 * u, i, i + 1) for i, u in enumerate(units)], 16)

    # greedy by size: 10 at 0, 9 at 10, 8 at 0, then 3 fits nowhere below 19 -> 22
    plan = chain([10, 9, 3, 8])
    assert plan.candidates["greedy_by_size"] == 16 * 22
    assert plan.arena_size == plan.lower_bound == 16 * 19
    # first use: 5 at 0, 6 at 5, 7 does not fit in [0, 5) -> 11 + 7 = 18
    plan = chain([5, 6, 7])
    assert plan.candidates["greedy_by_first_use"] == 16 * 18
    assert plan.arena_size == 16 * 13
    # only ping-pong: 3 at 0, 3 at 9-3=6, 4 at 0, 5 at 9-5=4 -> 9 = max pair (4 + 5)
    plan = chain([3, 3, 4, 5])
    assert plan.heuristic == "ping_pong"
    assert plan.arena_size == plan.lower_bound == 16 * 9
    assert [plan.offsets[i] for i in range(4)] == [0, 16 * 6, 0, 16 * 4]
    assert all(plan.candidates[n] > 16 * 9 for n in NAMES if n != "ping_pong")


def test_disjoint_lifetimes_reuse_offset_zero() -> None:
    sizes = [100, 5000, 17, 64, 3000]
    buffers = [Buffer(i, s, 3 * i, 3 * i + 2) for i, s in enumerate(sizes)]
    plan = plan_arena(buffers, 16)
    assert plan.offsets == dict.fromkeys(range(5), 0)
    assert plan.arena_size == plan.lower_bound == 5000


@pytest.mark.parametrize("a", ALIGNMENTS)
def test_all_overlapping_buffers_stack(a: int) -> None:
    units = [7, 1, 30, 2, 9, 9]
    buffers = [Buffer(i, u * a, 0, 4 + i) for i, u in enumerate(units)]
    plan = plan_arena(buffers, a)
    check_plan(buffers, plan)
    assert plan.arena_size == plan.lower_bound == a * sum(units)
    # unaligned sizes: between the raw sum and the sum of aligned sizes
    raw = [Buffer(i, u * a + 1, 2, 2) for i, u in enumerate(units)]
    plan = plan_arena(raw, a)
    check_plan(raw, plan)
    assert plan.lower_bound == sum(b.size for b in raw)
    assert plan.lower_bound <= plan.arena_size <= sum(align_up(b.size, a) for b in raw)


def test_zero_size_and_empty() -> None:
    plan = plan_arena([], 8)
    assert (plan.offsets, plan.arena_size, plan.lower_bound) == ({}, 0, 0)
    assert plan.heuristic == NAMES[0]
    buffers = [Buffer(1, 0, 0, 5), Buffer(2, 32, 0, 5), Buffer(3, 0, 2, 3)]
    plan = plan_arena(buffers, 8)
    assert plan.offsets == {1: 0, 2: 0, 3: 0}
    assert plan.arena_size == plan.lower_bound == 32


def test_check_plan_detects_bad_plans() -> None:
    a = Buffer(1, 64, 0, 3, "conv_out")
    b = Buffer(2, 32, 3, 5, "pool_out")
    c = Buffer(3, 48, 4, 6, "fc_out")  # conflicts with b only
    buffers = [a, b, c]

    def plan(offsets: dict[int, int], arena: int = 1000, alignment: int = 16) -> Plan:
        return Plan(offsets, arena, lower_bound(buffers), "manual", alignment, {})

    check_plan(buffers, plan({1: 0, 2: 64, 3: 0}))  # a and c never live together
    with pytest.raises(PlanError, match=r"'conv_out' \(id 1\).*'pool_out' \(id 2\).*step 3"):
        check_plan(buffers, plan({1: 0, 2: 48, 3: 128}))
    with pytest.raises(PlanError, match=r"pool_out.*fc_out"):
        check_plan(buffers, plan({1: 0, 2: 64, 3: 80}))
    with pytest.raises(PlanError, match="offset 8 is not a multiple of 16"):
        check_plan(buffers, plan({1: 0, 2: 64, 3: 8}))
    with pytest.raises(PlanError, match="not a multiple"):
        check_plan(buffers, plan({1: -16, 2: 64, 3: 128}))
    with pytest.raises(PlanError, match=r"'fc_out' \(id 3\) has no offset"):
        check_plan(buffers, plan({1: 0, 2: 64}))
    with pytest.raises(PlanError, match="ends at 176, past the arena size 160"):
        check_plan(buffers, plan({1: 0, 2: 64, 3: 128}, arena=160))
    with pytest.raises(PlanError, match="power of two"):
        check_plan(buffers, plan({1: 0, 2: 64, 3: 128}, alignment=12))
    # a corrupted plan from the planner itself is caught too
    good = plan_arena(buffers, 16)
    check_plan(buffers, good)
    bad = dataclasses.replace(good, offsets={**good.offsets, 2: good.offsets[1]})
    with pytest.raises(PlanError, match="overlap in memory"):
        check_plan(buffers, bad)


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="negative size"):
        Buffer(0, -1, 0, 0)
    with pytest.raises(ValueError, match="last step 1 < first 2"):
        Buffer(0, 4, 2, 1)
    with pytest.raises(ValueError, match="duplicate buffer id 7"):
        plan_arena([Buffer(7, 4, 0, 1), Buffer(7, 8, 1, 2)])
    for bad in (0, -16, 3, 12, 24):
        with pytest.raises(ValueError, match="power of two"):
            plan_arena([Buffer(0, 4, 0, 1)], bad)


def test_two_thousand_buffers_plan_validly() -> None:
    """Large inputs take the vectorised path; speed itself is measured by a benchmark script,
    not asserted here."""
    rng = random.Random(0)
    buffers = []
    for i in range(2000):  # a long schedule with some long-lived skip connections
        last = i + 1 if rng.random() < 0.85 else i + rng.randint(2, 40)
        buffers.append(Buffer(i, 16 * rng.randint(1, 5000), i, last))
    dense = [Buffer(i, rng.randint(1, 100_000), rng.randint(0, 30), 60) for i in range(2000)]
    for case in (buffers, dense):
        plan = plan_arena(case, 16)
        check_plan(case, plan)
        assert lower_bound(case) <= plan.arena_size


def test_gap_search_and_fits() -> None:
    """Steps 2-4 of the module docstring on hand-made spans (offset, aligned end)."""
    spans = [(0, 16), (48, 64), (64, 96), (160, 176)]
    gaps, top = planner._gaps(16, spans)
    assert (gaps, top) == ([(16, 48), (96, 160)], 176)
    assert planner._gaps(40, spans) == ([(96, 160)], 176)
    assert planner._gaps(100, spans) == ([], 176)
    assert planner._gaps(8, [(0, 64), (16, 32), (64, 80)]) == ([], 80)  # nested span

    def choose(size: int, fit: planner._Fit, ceiling: int = 0) -> int:
        gaps, top = planner._gaps(size, spans)
        return planner._choose(size, gaps, top, fit=fit, alignment=16, ceiling=ceiling)

    assert choose(16, "first") == 16  # lowest gap
    assert choose(40, "first") == choose(40, "best") == 96
    assert choose(200, "best") == 176  # no gap: on top
    assert choose(16, "ping_pong") == 16  # no ceiling: first fit
    assert choose(16, "ping_pong", ceiling=240) == 224  # highest 16-aligned fit below 240
    assert choose(20, "ping_pong", ceiling=190) == 128  # top region too small: gap [96, 160)
    assert choose(80, "ping_pong", ceiling=200) == 176  # no high fit: first fit (top)
    # first fit takes the lowest gap, best fit the shortest one that holds the buffer
    holes = [(0, 16), (80, 96), (112, 128), (144, 160), (208, 224)]
    # gaps: [16, 80) [96, 112) [128, 144) [160, 208)
    cases = [(16, 16, 96), (10, 16, 96), (17, 16, 160), (40, 16, 160), (64, 16, 16)]
    for size, first, best in cases:
        gaps, top = planner._gaps(size, holes)
        assert planner._choose(size, gaps, top, fit="first", alignment=16, ceiling=0) == first
        assert planner._choose(size, gaps, top, fit="best", alignment=16, ceiling=0) == best
