"""Benchmark: wall time of ``mcuai analyze`` (the whole command, process start included).

Usage::

    .venv/bin/python scripts/bench_analyze.py [MODEL ...] [--runs N]

Defaults to the 3.8 MiB ``mobilenet_v2_quantized_1x3x224x224.tflite`` of the third-party corpus
(``../shared/models``). Prints min and median of N runs of the console script and, in-process,
the time of each stage (import, passes, memory plan, report). Issue #2's goal: under 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared/models/tflm/mobilenet_v2_quantized_1x3x224x224.tflite"


def stage_times(model: Path) -> dict[str, float]:
    from mcuai.api import load_model, optimize
    from mcuai.memory.liveness import plan_memory
    from mcuai.report.analysis import analyze_graph

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    g = load_model(model)
    t["import"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = optimize(g)
    t["passes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    layout = plan_memory(g)
    t["memory plan"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    analyze_graph(g, layout, str(model), True, True)
    t["report"] = time.perf_counter() - t0
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path, default=[DEFAULT])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    exe = shutil.which("mcuai", path=str(Path(sys.executable).parent)) or "mcuai"
    for model in args.models:
        if not model.exists():
            sys.exit(f"{model}: not found")
        walls = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(
                [exe, "analyze", "-m", str(model)], check=True, stdout=subprocess.DEVNULL
            )
            walls.append(time.perf_counter() - t0)
        size = model.stat().st_size
        print(
            f"{model.name} ({size / 2**20:.1f} MiB): mcuai analyze wall time "
            f"min {min(walls):.3f} s, median {statistics.median(walls):.3f} s "
            f"over {args.runs} runs (goal < 2 s)"
        )
        stages = stage_times(model)
        print(
            "  in-process stages: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in stages.items())
        )


if __name__ == "__main__":
    main()
