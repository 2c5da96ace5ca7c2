"""Benchmark: activation RAM of the models of issue #6's acceptance, and the planner's time.

Usage::

    .venv/bin/python scripts/bench_memory.py [--models DIR] [--runs N]

For every model (third-party corpus, ``../shared/models`` or ``$MCUAI_MODELS``) it prints:

* ``arena``: the activation arena with the model inputs and outputs inside, exactly the
  ``<NAME>_ARENA_SIZE`` of ``mcuai generate`` (kernel scratch included), and its lower bound;
* ``issue-2 LB``: the lower bound of the planner of issue #2 (pipeline without PAD fusion,
  without in-place execution and without the peak-minimising schedule);
* ``target``: issue #6's acceptance figure, and whether ``arena`` meets it;
* right of ``|``, where the savings come from (lower bounds of the activations without kernel
  scratch, each step added to the previous one): ``elem``: element-wise layers in place and the
  schedule; ``+pad``: PAD fused into its consumer; ``+overlap``: convolutions, depthwise
  convolutions, max pooling and the input QUANTIZE writing their output below their dead input
  (the full pipeline);
* ``overlap``: the layers running in place with an overlap (``c`` conv, ``d`` depthwise,
  ``p`` max pool, ``q`` quantize; upper case: walked backwards, output above the input).

With ``--cost``: what the overlapping in-place layers cost in speed, instructions per inference
on an emulated Cortex-M4 (``mcuai benchmark``, QEMU) with and without them (the arena too).

Then the wall time of the planner (schedule + in-place passes, overlap choice included, +
memory plan) and of the whole in-process ``analyze`` on ``mcunet_mcunetv2_large`` (goal:
planner under 2 s), min of N runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (model, target bytes or None, what the target is)
MODELS: list[tuple[str, int | None, str]] = [
    ("stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite", 100_000, "< 100,000"),
    ("stm32ai_modelzoo_apache2/miniresnet_1stacks_64x50_tl_int8.tflite", 55_000, "< 55,000"),
    ("stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite", 55_000, "< 55,000"),
    ("tinyengine_mit/mcunet_vww.tflite", 85_000, "< 85,000"),
    ("mlperf_tiny/kws_ref_model.tflite", None, "< issue-2 LB"),
    ("mlperf_tiny/vww_96_int8.tflite", None, "< issue-2 LB"),
]
LARGE = "tinyengine_mit/mcunet_mcunetv2_large.tflite"


def models_dir(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    if "MCUAI_MODELS" in os.environ:
        return Path(os.environ["MCUAI_MODELS"])
    for p in (ROOT.parent / "shared" / "models", Path("/work/shared/models")):
        if p.exists():
            return p
    sys.exit("third-party models not found: pass --models DIR or set MCUAI_MODELS")


def bound(path: Path, skip: tuple[str, ...], overlap: bool = True) -> int:
    """Lower bound (no scratch) of the pipeline without the passes in ``skip`` and, unless
    ``overlap``, without the overlapping in-place layers."""
    from mcuai.api import load_model
    from mcuai.memory.liveness import plan_memory
    from mcuai.memory.overlap import is_overlapping
    from mcuai.passes.pipeline import PIPELINE, run_pipeline

    g = run_pipeline(load_model(path), [p for p in PIPELINE if p[0] not in skip])
    if not overlap:
        for n in g.nodes:
            if is_overlapping(n):
                n.alias = None
    return plan_memory(g).plan.lower_bound


def overlapping(path: Path) -> str:
    from mcuai.api import load_model, optimize
    from mcuai.memory.overlap import is_overlapping

    letter = {"conv2d": "c", "depthwise_conv2d": "d", "max_pool2d": "p", "quantize": "q"}
    nodes = [n for n in optimize(load_model(path)).nodes if is_overlapping(n)]
    return "".join(letter[n.op].upper() if n.backward else letter[n.op] for n in nodes)


def speed_cost(root: Path) -> None:
    """Cortex-M4 instructions per inference with and without overlapping in place."""
    from mcuai.benchmark import benchmark_model
    from mcuai.passes import in_place

    print("\nCortex-M4 (QEMU) instructions per inference, with / without overlapping in place")
    for rel, _, _ in MODELS:
        path = root / rel
        if not path.exists():
            continue
        on = benchmark_model(path, "cortex-m4", per_layer=False)
        in_place.OVERLAP = False
        try:
            off = benchmark_model(path, "cortex-m4", per_layer=False)
        finally:
            in_place.OVERLAP = True
        name = Path(rel).stem.removesuffix("_tl_int8").removesuffix("_64x50")
        print(
            f"{name:<22} {on.instructions:>12,} / {off.instructions:>12,} "
            f"({on.instructions / off.instructions - 1:+.0%}); arena {on.arena_bytes:,} / "
            f"{off.arena_bytes:,} B"
        )


def planner_time(path: Path, runs: int) -> tuple[float, float]:
    """(schedule + in-place passes + memory plan, whole in-process analyze), min over runs."""
    from mcuai.api import analyze, load_model
    from mcuai.memory.liveness import plan_memory
    from mcuai.passes import in_place, schedule
    from mcuai.passes.pipeline import PIPELINE, run_pipeline

    base = [p for p in PIPELINE if p[0] not in ("in_place", "schedule")]
    plan_t, all_t = [], []  # ("fuse_pad" stays in base: it is not the planner)
    for _ in range(runs):
        g = run_pipeline(load_model(path), base)
        t0 = time.perf_counter()
        g = in_place.run(schedule.run(g))
        plan_memory(g)
        plan_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        analyze(path)
        all_t.append(time.perf_counter() - t0)
    return min(plan_t), min(all_t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=None, help="corpus folder")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cost", action="store_true", help="Cortex-M4 instructions with/without")
    args = ap.parse_args()
    root = models_dir(args.models)
    from mcuai.api import analyze

    head = (
        f"{'model':<22} {'arena':>8} {'LB':>8} {'issue-2 LB':>10} {'target':>16} {'met':>3} | "
        f"{'elem':>8} {'+pad':>8} {'+overlap':>8}  overlap"
    )
    print("activation RAM in bytes, model inputs and outputs inside the arena")
    print("(right of |: lower bounds without kernel scratch, each step added to the previous)")
    print(head)
    print("-" * len(head))
    for rel, target, text in MODELS:
        path = root / rel
        if not path.exists():
            print(f"{Path(rel).stem:<22} (not found)")
            continue
        a = analyze(path)
        base = bound(path, ("fuse_pad", "in_place", "schedule"))
        goal = target if target is not None else base
        met = "yes" if a.arena_bytes < goal else "no"
        elem = bound(path, ("fuse_pad",), overlap=False)
        pad = bound(path, (), overlap=False)
        full = bound(path, ())
        name = Path(rel).stem.removesuffix("_tl_int8").removesuffix("_64x50")
        print(
            f"{name:<22} {a.arena_bytes:>8,} {a.lower_bound_bytes:>8,} {base:>10,} {text:>16} "
            f"{met:>3} | {elem:>8,} {pad:>8,} {full:>8,}  {overlapping(path)}"
        )
    if args.cost:
        speed_cost(root)
    large = root / LARGE
    if large.exists():
        plan_s, analyze_s = planner_time(large, args.runs)
        print(
            f"\n{large.stem}: planner (schedule + in place + memory plan) {plan_s:.3f} s, "
            f"whole analyze in process {analyze_s:.3f} s (min of {args.runs}; goal < 2 s)"
        )


if __name__ == "__main__":
    main()
