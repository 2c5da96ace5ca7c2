"""Bad model files: one clear line naming the file and the problem, exit code 2, no traceback.
Plus a fuzz test that mutates real models and accepts only clean errors."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ai_edge_litert import schema_py_generated as s

from conftest import EXAMPLE, MODELS
from mcuai.api import analyze
from mcuai.errors import McuaiError
from test_cli_analyze import run_cli


def _check_clean_error(path: Path, *words: str) -> None:
    r = run_cli("analyze", "-m", str(path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and str(path) in lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert r.stdout == ""


def test_missing_file(tmp_path: Path) -> None:
    _check_clean_error(tmp_path / "nope.tflite", "no such file")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.tflite"
    p.write_bytes(b"")
    _check_clean_error(p, "empty")


def test_directory(tmp_path: Path) -> None:
    _check_clean_error(tmp_path, "directory")


def test_random_bytes(tmp_path: Path) -> None:
    p = tmp_path / "random.tflite"
    p.write_bytes(random.Random(1).randbytes(5000))
    _check_clean_error(p, "not a TFLite flatbuffer")


def test_truncated_flatbuffer(tmp_path: Path) -> None:
    p = tmp_path / "truncated.tflite"
    p.write_bytes(EXAMPLE.read_bytes()[:700])
    _check_clean_error(p, "corrupt")


def test_buffer_index_out_of_range(tmp_path: Path) -> None:
    m = s.ModelT.InitFromObj(s.Model.GetRootAsModel(EXAMPLE.read_bytes(), 0))
    m.subgraphs[0].tensors[1].buffer = len(m.buffers) + 41
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    p = tmp_path / "badbuf.tflite"
    p.write_bytes(bytes(b.Output()))
    _check_clean_error(p, f"buffer {len(m.buffers) + 41}")


# ---------------------------------------------------------------------------------------------
# Fuzzing: bit flips, truncation, byte splices on real models. Every case must either analyze
# or raise McuaiError, within a time limit. MCUAI_FUZZ_SEED changes the cases.

FUZZ_CASES = 600
FUZZ_SEED = int(os.environ.get("MCUAI_FUZZ_SEED", "20261125"))
CASE_SECONDS = 10


def _seeds() -> list[Path]:
    seeds = [EXAMPLE]
    for rel in (
        "tflm/hello_world_int8.tflite",
        "mlperf_tiny/kws_ref_model.tflite",
        "tflm/micro_speech_quantized.tflite",
    ):
        if (MODELS / rel).exists():
            seeds.append(MODELS / rel)
    return seeds


def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:  # bit flips, concentrated in the first bytes (tables, vtables, offsets)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(min(len(b), 4096)) if rng.random() < 0.7 else rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # truncation
        b = b[: rng.randrange(len(b))]
    elif kind == 2:  # splice: copy a chunk over another place
        n = rng.randint(1, 64)
        src, dst = rng.randrange(len(b) - n), rng.randrange(len(b) - n)
        b[dst : dst + n] = b[src : src + n]
    else:  # random 32-bit word somewhere in the structure
        i = rng.randrange(0, min(len(b), 4096) - 4)
        b[i : i + 4] = rng.randbytes(4)
    return bytes(b)


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def boom(signum: int, frame: object) -> None:
        raise TimeoutError(f"case took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.slow
def test_fuzz_mutated_models(tmp_path: Path) -> None:
    rng = random.Random(FUZZ_SEED)
    seeds = [(p, p.read_bytes()) for p in _seeds()]
    outcomes = {"ok": 0, "error": 0}
    for case in range(FUZZ_CASES):
        path, data = seeds[case % len(seeds)]
        mutated = _mutate(data, rng)
        p = tmp_path / f"case{case}_{path.name}"
        p.write_bytes(mutated)
        try:
            with _time_limit(CASE_SECONDS):
                analyze(p)
            outcomes["ok"] += 1
        except McuaiError as e:
            msg = str(e)
            assert str(p) in msg, f"case {case} (seed {FUZZ_SEED}): error does not name file: {msg}"
            outcomes["error"] += 1
        except Exception as e:
            pytest.fail(f"case {case} (seed {FUZZ_SEED}, {path.name}): {type(e).__name__}: {e}")
        p.unlink()
    assert outcomes["ok"] + outcomes["error"] == FUZZ_CASES
    assert outcomes["error"] > FUZZ_CASES // 10  # the mutations do reach the checks
