"""Benchmark: activation RAM of the models of issue #6's acceptance, and the planner's time.

Usage::

    .venv/bin/python scripts/bench_memory.py [--models DIR] [--runs N]

For every model (third-party corpus, ``../shared/models`` or ``$MCUAI_MODELS``) it prints:

* ``arena``: the activation arena with the model inputs and outputs inside, exactly the
  ``<NAME>_ARENA_SIZE`` of ``mcuai generate`` (kernel scratch included), and its lower bound;
* ``no in-place LB``: the lower bound of the plan of the same pipeline without in-place
  execution and without the peak-minimising schedule (the planner of issue #2);
* ``target``: issue #6's acceptance figure, and whether it is met;
* three estimates of what kernel work would give (right of ``|``, cumulative lower bounds,
  not generated code): ``+dw``: depthwise convolutions in place (TinyEngine's
  channel-by-channel scheme: the output takes the storage of its dead input); ``+pad``: also
  every PAD feeding a convolution or pooling fused into it (the kernel reads the unpadded input
  with padding); ``+pw/pool/q``: also 1x1 stride-1 convolutions writing over their input with
  an offset (output pixel ``p`` needs input pixel ``p`` only, so one buffer of
  ``max(input, output)`` bytes suffices when the kernel reads a pixel before writing it),
  pooling in place and narrowing conversions (float -> int8 QUANTIZE) in place.

Then the wall time of the planner (schedule + in-place passes + memory plan) and of the whole
in-process ``analyze`` on ``mcunet_mcunetv2_large`` (goal: planner under 2 s), min of N runs.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (model, target bytes or None, what the target is)
MODELS: list[tuple[str, int | None, str]] = [
    ("stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite", 100_000, "< 100,000"),
    ("stm32ai_modelzoo_apache2/miniresnet_1stacks_64x50_tl_int8.tflite", 55_000, "< 55,000"),
    ("stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite", 55_000, "< 55,000"),
    ("tinyengine_mit/mcunet_vww.tflite", 85_000, "< 85,000"),
    ("mlperf_tiny/kws_ref_model.tflite", None, "< no in-place LB"),
    ("mlperf_tiny/vww_96_int8.tflite", None, "< no in-place LB"),
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


def lower_bound_without_in_place(path: Path) -> int:
    from mcuai.api import load_model
    from mcuai.memory.liveness import plan_memory
    from mcuai.passes.pipeline import PIPELINE, run_pipeline

    base = [p for p in PIPELINE if p[0] not in ("in_place", "schedule")]
    return plan_memory(run_pipeline(load_model(path), base)).plan.lower_bound


def estimates(path: Path) -> tuple[int, int, int]:
    """Lower bounds of three what-ifs, cumulative (see the module docstring), computed on a
    copy of the optimized graph, not generated code: the bytes live at each step as the planner
    counts them, except that a node whose kernel would write over its dead input needs
    ``max(input, output)`` bytes for the two instead of their sum."""
    from mcuai.api import load_model, optimize
    from mcuai.ir.graph import Graph
    from mcuai.ir.node import Node
    from mcuai.memory.liveness import plan_memory

    def bound(g: Graph, ok: Callable[[Node], bool]) -> int:
        layout = plan_memory(g)
        need = [0] * max(len(g.nodes), 1)
        for b in layout.buffers:
            for i in range(b.first, b.last + 1):
                need[i] += b.size
        outs = {t.uid for t in g.outputs}
        for i, n in enumerate(g.nodes):
            if not n.inputs or n.inputs[0] is None or len(n.outputs) != 1 or not ok(n):
                continue
            gx = layout.tensor_group[n.inputs[0].uid]
            gy = layout.tensor_group[n.output.uid]
            bx, by = layout.groups[gx], layout.groups[gy]
            dead = bx.last == i and not any(t.uid in outs for t in bx.members)
            if gx != gy and dead and not bx.external and not by.external:
                need[i] -= min(bx.size, by.size)
        return max(need)

    def dw(n: Node) -> bool:
        return n.op == "depthwise_conv2d"

    def fuse_pads(g: Graph) -> None:
        readers: dict[int, list[str]] = {}
        for n in g.nodes:
            for x in n.inputs:
                if x is not None:
                    readers.setdefault(x.uid, []).append(n.op)
        fusable = ("conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d")
        keep = []
        for n in g.nodes:
            y = n.output
            ops = readers.get(y.uid, [])
            if n.op == "pad" and y not in g.outputs and ops and all(op in fusable for op in ops):
                g.replace_uses(y, n.input(0))
                continue
            keep.append(n)
        g.nodes = keep

    def more(n: Node) -> bool:
        x, y = n.input(0), n.output
        if n.op == "conv2d":  # 1x1, stride 1: output pixel p needs input pixel p only
            w = n.input(1)
            return w.shape[1:3] == (1, 1) and x.shape[:3] == y.shape[:3]
        if n.op in ("max_pool2d", "avg_pool2d"):  # output rows never pass unread input rows
            return y.nbytes <= x.nbytes
        if n.op in ("quantize", "dequantize"):  # narrowing: out[i] at or below in[i]
            return y.dtype.itemsize <= x.dtype.itemsize
        return dw(n)

    graph = optimize(load_model(path))
    est_dw = bound(graph, dw)
    fused = copy.deepcopy(graph)
    fuse_pads(fused)
    return est_dw, bound(fused, dw), bound(fused, more)


def planner_time(path: Path, runs: int) -> tuple[float, float]:
    """(schedule + in-place passes + memory plan, whole in-process analyze), min over runs."""
    from mcuai.api import analyze, load_model
    from mcuai.memory.liveness import plan_memory
    from mcuai.passes import in_place, schedule
    from mcuai.passes.pipeline import PIPELINE, run_pipeline

    base = [p for p in PIPELINE if p[0] not in ("in_place", "schedule")]
    plan_t, all_t = [], []
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
    args = ap.parse_args()
    root = models_dir(args.models)
    from mcuai.api import analyze

    head = (
        f"{'model':<28} {'arena':>8} {'LB':>8} {'no-inplace LB':>13} {'target':>16} "
        f"{'met':>3} | {'+dw':>8} {'+pad':>8} {'+pw/pool/q':>10}"
    )
    print("activation RAM in bytes, model inputs and outputs inside the arena")
    print("(right of |: lower-bound estimates with kernel work not done yet, cumulative)")
    print(head)
    print("-" * len(head))
    for rel, target, text in MODELS:
        path = root / rel
        if not path.exists():
            print(f"{Path(rel).stem:<38} (not found)")
            continue
        a = analyze(path)
        base = lower_bound_without_in_place(path)
        goal = target if target is not None else base
        met = "yes" if a.arena_bytes < goal else "no"
        e1, e2, e3 = estimates(path)
        name = Path(rel).stem.removesuffix("_tl_int8").removesuffix("_64x50")
        print(
            f"{name:<28} {a.arena_bytes:>8,} {a.lower_bound_bytes:>8,} {base:>13,} "
            f"{text:>16} {met:>3} | {e1:>8,} {e2:>8,} {e3:>10,}"
        )
    large = root / LARGE
    if large.exists():
        plan_s, analyze_s = planner_time(large, args.runs)
        print(
            f"\n{large.stem}: planner (schedule + in place + memory plan) {plan_s:.3f} s, "
            f"whole analyze in process {analyze_s:.3f} s (min of {args.runs}; goal < 2 s)"
        )


if __name__ == "__main__":
    main()
