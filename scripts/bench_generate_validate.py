"""Benchmark: wall time of ``mcuai generate`` and ``mcuai validate`` (issue #3's targets).

Usage::

    .venv/bin/python scripts/bench_generate_validate.py [--runs N]

- ``mcuai generate`` on the 3.8 MiB mobilenet_v2_quantized_1x3x224x224.tflite (goal < 3 s);
- ``mcuai validate`` on vww_96_int8.tflite with 10 random inputs, compilation included: every
  run uses a fresh, empty build cache (``MCUAI_CACHE``), so the C compiler really runs
  (goal < 20 s).

Both are timed as whole commands (process start included). Models come from the third-party
corpus (``../shared/models``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "models"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    exe = shutil.which("mcuai", path=str(Path(sys.executable).parent)) or "mcuai"
    mobilenet = CORPUS / "tflm" / "mobilenet_v2_quantized_1x3x224x224.tflite"
    vww = CORPUS / "mlperf_tiny" / "vww_96_int8.tflite"
    for m in (mobilenet, vww):
        if not m.exists():
            sys.exit(f"{m}: not found")
    gen, val = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.runs):
            out = Path(tmp) / f"gen{k}"
            gen.append(
                timed([exe, "generate", "-m", str(mobilenet), "-o", str(out)], dict(os.environ))
            )
            env = dict(os.environ, MCUAI_CACHE=str(Path(tmp) / f"cache{k}"))
            val.append(timed([exe, "validate", "-m", str(vww), "--batches", "10"], env))
    print(
        f"mcuai generate {mobilenet.name}: min {min(gen):.2f} s, median "
        f"{statistics.median(gen):.2f} s over {args.runs} runs (goal < 3 s)"
    )
    print(
        f"mcuai validate {vww.name}, 10 inputs, cold build cache: min {min(val):.2f} s, "
        f"median {statistics.median(val):.2f} s over {args.runs} runs (goal < 20 s)"
    )


if __name__ == "__main__":
    main()
