"""Memory pools (``--memory-pool``): the pool file, the placement across pools (valid plans,
fast pools first, a clear error when it does not fit), the generated pool API (bit-exact with
the single arena) and the fit verdict of ``analyze --target-ram/--target-flash``."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, ROOT, corpus_model
from mcuai.api import analyze, generate
from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import UsageError
from mcuai.memory import Buffer, check_plan
from mcuai.memory.pools import Pool, PoolFitError, parse_bytes, parse_pools, place_in_pools
from mcuai.targets.host import HostModel, build


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcuai", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def write_pools(tmp_path: Path, pools: list[dict[str, object]]) -> Path:
    p = tmp_path / "pools.json"
    p.write_text(json.dumps({"pools": pools}))
    return p


# ---- the pool file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (131072, 131072),
        ("131072", 131072),
        ("128K", 131072),
        ("128 KiB", 131072),
        ("128kb", 131072),
        ("1MiB", 1 << 20),
        ("0x20000", 131072),
        ("1_024", 1024),
    ],
)
def test_parse_bytes(text: object, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "12 apples", "-5", -5, 1.5, True, "K", None])
def test_parse_bytes_rejects(text: object) -> None:
    with pytest.raises(UsageError):
        parse_bytes(text)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({}, "non-empty list"),
        ([], "non-empty list"),
        ([1], "not an object"),
        ([{"name": "9x", "size": 4}], "not a C identifier"),
        ([{"name": "a", "size": 4}, {"name": "A", "size": 4}], "used twice"),
        ([{"name": "a"}], "no size"),
        ([{"name": "a", "size": 0}], "size 0"),
        ([{"name": "a", "size": 4, "fast": "yes"}], "true or false"),
        ([{"name": "a", "size": 4, "speed": 1}], "unknown field"),
    ],
)
def test_bad_pool_files(data: object, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        parse_pools(data, "pools.json")


def test_pool_file_forms() -> None:
    pools = parse_pools(
        [{"name": "dtcm", "size": "128K", "fast": True}, {"name": "sram", "size": 64}], "f"
    )
    assert pools == [Pool("dtcm", 131072, True), Pool("sram", 64, False)]


# ---- placement -----------------------------------------------------------------------------


@st.composite
def buffers_and_pools(draw: st.DrawFn) -> tuple[list[Buffer], list[Pool]]:
    n = draw(st.integers(0, 40))
    bufs = []
    for k in range(n):
        first = draw(st.integers(0, 30))
        bufs.append(Buffer(k, draw(st.integers(0, 5000)), first, draw(st.integers(first, 30))))
    pools = [
        Pool(f"p{k}", draw(st.integers(1, 40000)), draw(st.booleans()))
        for k in range(draw(st.integers(1, 3)))
    ]
    return bufs, pools


@settings(max_examples=150, deadline=None)
@given(buffers_and_pools(), st.sampled_from([1, 4, 16]))
def test_placements_are_valid_or_refused(bp: tuple[list[Buffer], list[Pool]], a: int) -> None:
    bufs, pools = bp
    heat = {b.id: 1 / max(b.size, 1) for b in bufs}
    try:
        pp = place_in_pools(bufs, pools, a, heat)
    except PoolFitError as e:
        assert (
            "fits in no memory pool" in str(e) or "need at least" in str(e) or "overlap" in str(e)
        )
        return
    assert set(pp.assignment) == {b.id for b in bufs}
    for k, pool in enumerate(pools):
        mine = [b for b in bufs if pp.assignment[b.id] == k]
        check_plan(mine, pp.plans[k])
        assert pp.plans[k].arena_size <= pool.size
    assert place_in_pools(bufs, pools, a, heat) == pp  # deterministic


def test_fast_pool_first_and_hot_small_buffers() -> None:
    bufs = [Buffer(0, 1000, 0, 1), Buffer(1, 100, 1, 2), Buffer(2, 1000, 2, 3)]
    heat = {0: 2 / 1000, 1: 2 / 100, 2: 2 / 1000}
    big = [Pool("sram", 10_000), Pool("tcm", 10_000, fast=True)]
    pp = place_in_pools(bufs, big, 16, heat)
    assert set(pp.assignment.values()) == {1}  # everything fits in the fast pool
    small = [Pool("sram", 10_000), Pool("tcm", 112, fast=True)]
    pp = place_in_pools(bufs, small, 16, heat)
    assert pp.assignment == {0: 0, 1: 1, 2: 0}  # the hot small one in the fast pool
    assert pp.used(1) == 100


def test_does_not_fit_says_why() -> None:
    bufs = [Buffer(0, 1000, 0, 1), Buffer(1, 1000, 1, 2)]
    with pytest.raises(PoolFitError, match=r"need at least 2,000 B .* hold 1,500 B"):
        place_in_pools(bufs, [Pool("a", 1000), Pool("b", 500)], 1, {})
    # enough bytes in total, but each pool holds only one of the three 1000-byte buffers
    three = [*bufs, Buffer(2, 1000, 1, 1)]
    with pytest.raises(PoolFitError, match=r"fits in no memory pool: room left .* a 500 B"):
        place_in_pools(three, [Pool("a", 1500), Pool("b", 1500)], 1, {})


# ---- generated code ------------------------------------------------------------------------


def run_pools(code: GeneratedCode, lib: Path, xs: list[np.ndarray]) -> list[np.ndarray]:
    """One inference through the pool API (``<name>_init/_input/_run/_output(pools, ...)``)."""
    so = ctypes.CDLL(str(lib))
    n = code.name
    keep = []
    table = (ctypes.c_void_p * len(code.pools))()
    for p in code.pools:
        buf = np.zeros(p.size + 64, np.uint8)
        off = (-buf.ctypes.data) % 64
        keep.append(buf)
        table[p.index] = buf.ctypes.data + off
    for f in ("init", "run"):
        getattr(so, f"{n}_{f}").argtypes = [ctypes.c_void_p]
    for f in ("input", "output"):
        getattr(so, f"{n}_{f}").argtypes = [ctypes.c_void_p, ctypes.c_int]
        getattr(so, f"{n}_{f}").restype = ctypes.c_void_p
    assert getattr(so, f"{n}_init")(table) == 0
    for io, x in zip(code.inputs, xs, strict=True):
        ptr = getattr(so, f"{n}_input")(table, io.index)
        ctypes.memmove(ptr, np.ascontiguousarray(x).ctypes.data, io.tensor.nbytes)
    assert getattr(so, f"{n}_run")(table) == 0
    outs = []
    for io in code.outputs:
        ptr = getattr(so, f"{n}_output")(table, io.index)
        raw = ctypes.string_at(ptr, io.tensor.nbytes)
        outs.append(np.frombuffer(raw, io.tensor.dtype.np).reshape(io.tensor.shape).copy())
    return outs


def pools_vs_arena(model: Path, pools: list[Pool], tmp_path: Path) -> GeneratedCode:
    code = generate(model, name="net", memory_pools=pools)
    assert len(code.pools) == len(pools)
    for p in code.pools:
        assert p.size <= p.capacity
    h = code.files["net.h"]
    assert "NET_ARENA_SIZE" not in h and "int net_run(void *const pools[]);" in h
    for p in code.pools:
        assert f"#define NET_POOL_{p.name.upper()}_SIZE {p.size}" in h
        assert f"#define NET_POOL_{p.name.upper()}_INDEX {p.index}" in h
    assert "pools" in json.loads(code.files["mcuai.json"])
    lib = build(code)
    single = generate(model, name="net")
    host = HostModel(single, build(single))
    rng = np.random.default_rng(3)
    for _ in range(3):
        xs = [
            rng.integers(-128, 128, io.tensor.shape).astype(io.tensor.dtype.np)
            for io in single.inputs
        ]
        want, _ = host.run(xs)
        got = run_pools(code, lib, xs)
        for g_, w_ in zip(got, want, strict=True):
            assert np.array_equal(g_, w_)
    return code


def test_example_across_two_pools(tmp_path: Path, require_cc: str) -> None:
    pools = [Pool("dtcm", 1024, fast=True), Pool("axi_sram", 64 * 1024)]
    code = pools_vs_arena(EXAMPLE, pools, tmp_path)
    assert code.pools[0].size > 1 and code.pools[1].size > 1  # both used


@pytest.mark.corpus
def test_corpus_model_across_pools(tmp_path: Path, require_cc: str) -> None:
    model = corpus_model("stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite")
    pools_vs_arena(model, [Pool("dtcm", 16 * 1024, True), Pool("sram", 256 * 1024)], tmp_path)


def test_single_arena_api_unchanged_without_pools() -> None:
    code = generate(EXAMPLE, name="net")
    h = code.files["net.h"]
    assert "#define NET_ARENA_SIZE" in h and "POOL" not in h
    assert "int net_run(void *arena);" in h
    assert "pools" not in json.loads(code.files["mcuai.json"])


# ---- CLI -----------------------------------------------------------------------------------


def test_cli_analyze_with_pools_and_budgets(tmp_path: Path) -> None:
    pf = write_pools(
        tmp_path, [{"name": "dtcm", "size": "1K", "fast": True}, {"name": "sram", "size": "64K"}]
    )
    out = tmp_path / "r.json"
    r = run_cli(
        "analyze",
        "-m",
        str(EXAMPLE),
        "--memory-pool",
        str(pf),
        "--target-ram",
        "64K",
        "--target-flash",
        "1MiB",
        "--json",
        str(out),
        "--verbose",
    )
    assert r.returncode == 0, r.stderr
    assert "memory timeline" in r.stdout and "pool dtcm" in r.stdout
    assert "verdict: FITS" in r.stdout
    d = json.loads(out.read_text())
    mem = d["memory"]
    assert [p["name"] for p in mem["pools"]] == ["dtcm", "sram"]
    assert {b["pool"] for b in mem["buffers"]} <= {"dtcm", "sram"}
    for b in mem["buffers"]:
        assert {"id", "kind", "name", "pool", "offset", "size", "first", "last", "tensors"} <= set(
            b
        )
        assert 0 <= b["first"] <= b["last"] < len(mem["steps"])
    assert d["fit"]["fits"] is True
    checks = {c["what"]: c for c in d["fit"]["checks"]}
    assert checks["ram"]["needed"] == d["totals"]["ram_bytes"] == d["totals"]["arena_bytes"]
    assert checks["ram"]["margin"] == 65536 - checks["ram"]["needed"]
    assert checks["flash"]["needed"] == d["totals"]["weights_bytes"]
    assert {"pool dtcm", "pool sram"} <= set(checks)


def test_cli_does_not_fit(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = run_cli("analyze", "-m", str(EXAMPLE), "--target-ram", "100", "--json", str(out))
    assert r.returncode == 1
    assert "does not fit" in r.stdout and "DOES NOT FIT" in r.stdout
    d = json.loads(out.read_text())
    assert d["fit"]["fits"] is False and d["fit"]["checks"][0]["margin"] < 0

    pf = write_pools(tmp_path, [{"name": "tiny", "size": 64}])
    r = run_cli("analyze", "-m", str(EXAMPLE), "--memory-pool", str(pf))
    assert r.returncode == 1 and "memory pools" in r.stdout
    r = run_cli("generate", "-m", str(EXAMPLE), "-o", str(tmp_path / "g"), "--memory-pool", str(pf))
    assert r.returncode == 2 and "error:" in r.stderr and "memory pools hold 64 B" in r.stderr
    assert not (tmp_path / "g").exists()


def test_cli_bad_options(tmp_path: Path) -> None:
    r = run_cli("analyze", "-m", str(EXAMPLE), "--target-ram", "lots")
    assert r.returncode == 2 and "--target-ram" in r.stderr
    r = run_cli("analyze", "-m", str(EXAMPLE), "--memory-pool", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "cannot read the memory pool file" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = run_cli(
        "generate", "-m", str(EXAMPLE), "-o", str(tmp_path / "g"), "--memory-pool", str(bad)
    )
    assert r.returncode == 2 and "not valid JSON" in r.stderr


def test_no_budget_no_verdict() -> None:
    a = analyze(EXAMPLE)
    assert a.fits is None and a.to_json()["fit"] is None
    assert a.to_json()["memory"]["pools"] == []
