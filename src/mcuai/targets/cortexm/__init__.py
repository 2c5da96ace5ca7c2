"""Cortex-M targets: cross-compile generated code with a semihosting harness and run it on
QEMU's Arm boards (mps2-an386 M4, mps2-an500 M7, mps2-an505 M33, mps3-an547 M55) with
exact, deterministic instruction counts (``-icount shift=0``; see :mod:`.counting`).

    code = mcuai.api.generate("model.tflite")
    elf = build_elf(code, "cortex-m4")
    res = run_elf(elf, "cortex-m4", [x], runs=2, profile=True)
    res.outputs, res.instructions, res.layer_instructions, res.stack_bytes
    elf_sizes(elf).model, elf_sizes(elf).weights
"""

from mcuai.targets.cortexm.boards import TARGETS, Board, Region, get_target
from mcuai.targets.cortexm.build import SectionSizes, SizeReport, build_elf, elf_sizes
from mcuai.targets.cortexm.harness import target_harness
from mcuai.targets.cortexm.run import CortexMModel, CortexMRun, run_elf, run_qemu
from mcuai.targets.cortexm.toolchain import INSTALL_HINT, ToolchainError, find_toolchain

__all__ = [
    "INSTALL_HINT",
    "TARGETS",
    "Board",
    "CortexMModel",
    "CortexMRun",
    "Region",
    "SectionSizes",
    "SizeReport",
    "ToolchainError",
    "build_elf",
    "elf_sizes",
    "find_toolchain",
    "get_target",
    "run_elf",
    "run_qemu",
    "target_harness",
]
