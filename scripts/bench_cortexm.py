"""Benchmark: executed instructions per inference and code size on emulated Cortex-M (issue #5).

Usage::

    .venv/bin/python scripts/bench_cortexm.py [--models DIR] [--cores cortex-m4,...] [--write-docs]

For the models of issue #5's baseline table (third-party corpus, ``../shared/models`` or
``$MCUAI_MODELS``) it runs ``mcuai benchmark`` (QEMU, ``-icount shift=0``, exact instruction
counts, see ``src/mcuai/targets/cortexm``) at -O2 and prints, per model, the instructions per
inference on each requested core next to the baselines measured on the same QEMU setup with
TFLite Micro (reference kernels, and with CMSIS-NN) and the best published Cortex-M4 cycle
count, with the ratio to TFLite Micro + CMSIS-NN. A Cortex-M4 retires at most one instruction
per cycle, so an instruction count below a published cycle count means faster than that result.

Then the ``.text`` of the generated network plus kernels of vww_96_int8 for the Cortex-M4 at
-Os and -O2 (goal: under 30 KiB; TFLite Micro + CMSIS-NN's whole image: 91 KiB of ``.text``).

``--write-docs`` replaces the section between the ``bench_cortexm`` markers of
``docs/benchmarks.md`` with the printed tables (the numbers are measured in this run, never
copied).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_memory import models_dir  # noqa: E402  (one corpus lookup for the scripts)

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- bench_cortexm:begin -->"
END = "<!-- bench_cortexm:end -->"

#: model, TFLite Micro reference kernels, TFLite Micro + CMSIS-NN (M4 instructions, issue #5's
#: table: same QEMU setup, gcc 12.2 -O2, mps2-an386), best published M4 cycles (None: none).
BASELINES: list[tuple[str, int, int, int | None]] = [
    ("mlperf_tiny/kws_ref_model.tflite", 43_111_924, 7_697_336, 5_180_000),
    ("mlperf_tiny/vww_96_int8.tflite", 100_473_397, 24_101_870, 10_670_000),
    ("mlperf_tiny/pretrainedResnet_quant.tflite", 107_471_956, 29_863_013, 19_810_000),
    ("mlperf_tiny/ad01_int8.tflite", 1_954_070, 582_942, 490_000),
    ("tflm/person_detect.tflite", 95_918_796, 22_928_381, None),
]
CODE_SIZE_MODEL = "mlperf_tiny/vww_96_int8.tflite"


def _short(rel: str) -> str:
    return Path(rel).stem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=Path, default=None)
    ap.add_argument("--cores", default="cortex-m4,cortex-m7,cortex-m33,cortex-m55")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from mcuai.benchmark import benchmark_model

    base = models_dir(args.models)
    cores = [c.strip() for c in args.cores.split(",") if c.strip()]
    t_start = time.perf_counter()
    lines: list[str] = []

    def out(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    out("executed instructions per inference, -O2 (QEMU -icount shift=0; exact, run to run)")
    head = f"{'model':<24}" + "".join(f"{c:>14}" for c in cores)
    head += f"{'TFLM ref':>14}{'TFLM+CMSIS-NN':>15}{'published M4':>14}{'M4/CMSIS':>10}  verdict"
    out(head)
    out("-" * len(head))
    toolchain = ""
    for rel, tflm, cmsis, pub in BASELINES:
        path = base / rel
        if not path.exists():
            out(f"{_short(rel):<24} (not in {base})")
            continue
        counts: dict[str, int] = {}
        for core in cores:
            r = benchmark_model(path, core, "O2", per_layer=False)
            counts[core] = r.instructions
            toolchain = r.toolchain
        row = f"{_short(rel):<24}" + "".join(f"{counts[c]:>14,}" for c in cores)
        row += f"{tflm:>14,}{cmsis:>15,}" + (f"{pub:>14,}" if pub else f"{'-':>14}")
        m4 = counts.get("cortex-m4")
        if m4 is None:
            out(row)
            continue
        verdict = "below TFLM+CMSIS-NN" if m4 < cmsis else "ABOVE TFLM+CMSIS-NN"
        if pub is not None:
            verdict += ", below published" if m4 <= pub else ", above published"
        out(row + f"{m4 / cmsis:>10.2f}  {verdict}")
    out()
    code = base / CODE_SIZE_MODEL
    if code.exists():
        out(f"code (.text of generated network + kernels), {_short(CODE_SIZE_MODEL)}, cortex-m4")
        for opt in ("Os", "O2"):
            r = benchmark_model(code, "cortex-m4", opt, per_layer=False)
            out(
                f"  -{opt}: {r.code_bytes:,} B ({r.code_bytes / 1024:.1f} KiB) = "
                f"{r.network_code_bytes:,} network + {r.kernels_code_bytes:,} kernels; "
                f"{r.instructions:,} instructions; goal < 30 KiB"
            )
    out()
    out(f"toolchain: {toolchain}; host {platform.machine()}")
    print(f"(ran in {time.perf_counter() - t_start:.0f} s)")
    if args.write_docs:
        text = DOCS.read_text()
        if BEGIN not in text or END not in text:
            sys.exit(f"{DOCS}: markers {BEGIN} / {END} not found")
        pre, rest = text.split(BEGIN, 1)
        _, post = rest.split(END, 1)
        block = "\n```\n" + "\n".join(lines).rstrip() + "\n```\n"
        DOCS.write_text(pre + BEGIN + block + END + post)
        print(f"updated {DOCS}")


if __name__ == "__main__":
    main()
