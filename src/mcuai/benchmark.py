"""``mcuai benchmark``: executed instructions, code size and RAM of a model on an emulated
Cortex-M core.

The generated code is cross-compiled with the Cortex-M harness, run under QEMU with
``-icount shift=0`` (:mod:`mcuai.targets.cortexm`): instruction counts are exact and identical
run to run (the report checks that two timed runs agree). Figures are *executed instructions*,
not cycles: a Cortex-M4 retires at most one instruction per cycle, so they bound the cycle
count from below. Sizes come from the linker map: the model's code (the network's ``.c`` plus
the kernels, harness and runtime excluded), its constant data and the weights; RAM is the
arena plus measured stack depth (stack painting).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcuai import __version__
from mcuai.errors import McuaiError, UsageError

SCHEMA_VERSION = 1
OPT_LEVELS = ("O2", "Os", "O3")


@dataclass
class LayerCost:
    index: int
    origin: str
    op: str
    kernels: list[str]
    macc: int
    instructions: int


@dataclass
class BenchmarkReport:
    model: str
    target: str
    machine: str
    opt: str
    toolchain: str
    instructions: int  # per inference
    runs: list[int]  # every timed run (identical: deterministic)
    macc: int
    code_bytes: int  # .text of network + kernels
    network_code_bytes: int
    kernels_code_bytes: int
    model_rodata_bytes: int  # constants of network + kernels except weights
    weights_bytes: int
    arena_bytes: int
    stack_bytes: int
    layers: list[LayerCost] = field(default_factory=list)
    seconds: float = 0.0
    prefer: str = "ram"  # --prefer: in-place kernels at the memory peak (ram) or not (speed)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "mcuai", "version": __version__},
            "model": self.model,
            "target": self.target,
            "machine": self.machine,
            "opt": self.opt,
            "prefer": self.prefer,
            "toolchain": self.toolchain,
            "unit": "executed instructions (QEMU -icount shift=0), not cycles",
            "instructions": self.instructions,
            "runs": self.runs,
            "macc": self.macc,
            "code_bytes": self.code_bytes,
            "network_code_bytes": self.network_code_bytes,
            "kernels_code_bytes": self.kernels_code_bytes,
            "model_rodata_bytes": self.model_rodata_bytes,
            "weights_bytes": self.weights_bytes,
            "arena_bytes": self.arena_bytes,
            "stack_bytes": self.stack_bytes,
            "layers": [vars(la) for la in self.layers],
            "seconds": round(self.seconds, 3),
        }


def benchmark_model(
    model: Path,
    target: str = "cortex-m4",
    opt: str = "O2",
    per_layer: bool = True,
    seed: int = 0,
    timeout: float = 600.0,
    prefer: str = "ram",
) -> BenchmarkReport:
    """Build ``model`` for ``target``, run it twice timed (and once per layer), report."""
    from mcuai.api import load_model, optimize
    from mcuai.codegen.cnames import c_identifier
    from mcuai.codegen.generate import generate_code
    from mcuai.ops import get_op
    from mcuai.targets.cortexm import build_elf, elf_sizes, find_toolchain, get_target, run_elf
    from mcuai.validate.data import random_inputs

    if opt not in OPT_LEVELS:
        raise UsageError(f"--opt {opt}: choose one of {', '.join(OPT_LEVELS)}")
    if target == "host":
        raise UsageError("benchmark needs an emulated core: --target cortex-m4|m7|m33|m55")
    try:
        board = get_target(target)
    except (KeyError, ValueError):
        raise UsageError(
            f"--target {target}: unknown (cortex-m4, cortex-m7, cortex-m33, cortex-m55)"
        ) from None
    tc = find_toolchain()
    t0 = time.perf_counter()
    graph = optimize(load_model(model), prefer)
    code = generate_code(graph, c_identifier(model.stem), model.name)
    elf = build_elf(code, board, f"-{opt}")
    xs = random_inputs(graph.inputs, 1, seed)
    sample = [x[0].reshape(t.shape) for x, t in zip(xs, graph.inputs, strict=True)]
    res = run_elf(elf, board, sample, runs=2, profile=per_layer, timeout=timeout)
    if len(set(res.instructions)) != 1:
        raise McuaiError(
            f"instruction counts differ between identical runs ({res.instructions}): the "
            "measurement is not deterministic on this QEMU"
        )
    sizes = elf_sizes(elf)
    layers: list[LayerCost] = []
    per = res.layer_instructions or {}
    for i, n in enumerate(graph.nodes):
        kernels = [str(k) for k in code.layers[i]["kernels"]]
        layers.append(
            LayerCost(
                i, n.origin, get_op(n.op).describe(n), kernels, get_op(n.op).macc(n), per.get(i, 0)
            )
        )
    network = sizes.groups.get("network")
    kernels_sz = sizes.groups.get("kernels")
    model_sz = sizes.model
    return BenchmarkReport(
        model=str(model),
        target=board.name,
        machine=board.machine,
        opt=opt,
        prefer=prefer,
        toolchain=f"{tc.gcc_version}; {tc.qemu_version}",
        instructions=res.instructions[0],
        runs=list(res.instructions),
        macc=sum(la.macc for la in layers),
        code_bytes=model_sz.text,
        network_code_bytes=0 if network is None else network.text,
        kernels_code_bytes=0 if kernels_sz is None else kernels_sz.text,
        model_rodata_bytes=model_sz.rodata - sizes.weights,
        weights_bytes=sizes.weights,
        arena_bytes=code.arena_size,
        stack_bytes=res.stack_bytes,
        layers=layers if per_layer else [],
        seconds=time.perf_counter() - t0,
    )
