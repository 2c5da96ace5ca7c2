"""``mcuai benchmark`` on an emulated Cortex-M4 (QEMU)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLE
from test_cli_analyze import run_cli

pytestmark = [pytest.mark.qemu]


@pytest.fixture
def qemu() -> None:
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip(
            "Arm toolchain or QEMU missing: sudo apt-get update && sudo DEBIAN_FRONTEND="
            "noninteractive apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi "
            "qemu-system-arm"
        )


def test_benchmark_example(tmp_path: Path, qemu: None) -> None:
    out = tmp_path / "b.json"
    r = run_cli("benchmark", "-m", str(EXAMPLE), "--target", "cortex-m4", "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "instructions" in r.stdout and "not cycles" in r.stdout
    d = json.loads(out.read_text())
    assert d["schema_version"] == 1 and d["target"] == "cortex-m4"
    assert len(set(d["runs"])) == 1 and d["instructions"] == d["runs"][0] > d["macc"] > 0
    per_layer = sum(la["instructions"] for la in d["layers"])
    # the observer adds a few instructions per layer; the layers account for the whole run
    assert d["instructions"] <= per_layer <= d["instructions"] + 40 * len(d["layers"])
    assert d["weights_bytes"] > 0 and 0 < d["code_bytes"] < 64 * 1024
    assert d["stack_bytes"] > 0
    # the arena the benchmark ran with is the one `mcuai generate` declares for the model
    gen = tmp_path / "gen"
    r = run_cli("generate", "-m", str(EXAMPLE), "-o", str(gen), "--name", "net")
    assert r.returncode == 0, r.stderr
    m = re.search(r"#define NET_ARENA_SIZE\s+\(?(\d+)", (gen / "net.h").read_text())
    assert m is not None and d["arena_bytes"] == int(m.group(1))


def test_benchmark_rejects_host_and_bad_opt(qemu: None) -> None:
    r = run_cli("benchmark", "-m", str(EXAMPLE), "--target", "host")
    assert r.returncode == 2 and "cortex-m" in r.stderr
    r = run_cli("benchmark", "-m", str(EXAMPLE), "--opt", "O9")
    assert r.returncode == 2 and "O2" in r.stderr
