"""Run an ELF built by :func:`~mcuai.targets.cortexm.build.build_elf` on QEMU.

``qemu-system-arm -M <board> -icount shift=0 -semihosting-config enable=on,target=native``
in a temporary working directory holding ``cfg.bin`` and ``in<i>.bin``; the harness writes
``out<j>.bin`` and ``prof.bin`` there (see :mod:`mcuai.targets.cortexm.harness`). QEMU always
runs under a host time limit: a hung guest never exits by itself.

Instruction counts (not cycles: QEMU models no pipeline, caches or wait states) come from
:mod:`mcuai.targets.cortexm.counting`: exact to 1 instruction and identical run to run.
A timed run counts the call ``<name>_run_io(arena, ins, outs)`` as the harness makes it.
With ``profile``, one more run with an observer gives a count per observed layer output:
that layer's kernels plus the observer call (the generated ``OBSERVE`` check and call, the
callback's entry and exit: about a dozen instructions); the first also holds the entry of
``<name>_run_io``, and ``epilogue`` is what follows the last observation.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import McuaiError, UsageError
from mcuai.ir.dtypes import DType
from mcuai.targets.cortexm import counting
from mcuai.targets.cortexm.boards import Board, get_target
from mcuai.targets.cortexm.build import SizeReport, build_elf, elf_sizes, load_meta
from mcuai.targets.cortexm.harness import (
    BLOCK_MAGIC,
    CALIBRATION_MARKS,
    CFG_MAGIC,
    END_MAGIC,
    KIND_CALIBRATION,
    KIND_PROFILE,
    KIND_TIMED,
    PROF_MAGIC,
    PROF_VERSION,
)
from mcuai.targets.cortexm.toolchain import find_toolchain

DEFAULT_TIMEOUT = 300.0
"""Seconds of host time before QEMU is killed."""

EXIT_MEANING = {
    3: "<name>_init failed",
    4: "an input file could not be read (semihosting)",
    5: "<name>_run_io returned an error",
    6: "an output file could not be written (semihosting)",
    99: "the core faulted (see the harness message)",
}


def qemu_command(qemu: str, board: Board, elf: Path) -> list[str]:
    return [
        qemu,
        "-M",
        board.machine,
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        "none",
        "-semihosting-config",
        "enable=on,target=native",
        "-icount",
        "shift=0",
        "-kernel",
        str(Path(elf).resolve()),
    ]


@dataclass
class QemuResult:
    returncode: int
    files: dict[str, bytes]
    stdout: str
    stderr: str


def run_qemu(
    elf: Path,
    target: str | Board,
    files: dict[str, bytes],
    read_back: list[str],
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "program",
) -> QemuResult:
    """Run ``elf`` once in a fresh working directory with ``files``; return the exit status,
    the files of ``read_back`` that exist afterwards and the captured output. Raises a
    :class:`McuaiError` naming ``what`` and the target when the time limit is reached."""
    tc = find_toolchain()
    board = get_target(target)
    with tempfile.TemporaryDirectory(prefix="mcuai-qemu-") as tmp:
        wd = Path(tmp)
        for n, data in files.items():
            (wd / n).write_bytes(data)
        cmd = qemu_command(tc.qemu, board, elf)
        try:
            r = subprocess.run(
                cmd, cwd=wd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as e:
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else ""
            raise McuaiError(
                f"{what} on {board.name} ({board.machine}, QEMU) did not finish within "
                f"{timeout:g} s and was stopped; a hung guest never exits by itself (a fault "
                "loop, an endless kernel, or a model too slow for the limit: pass a larger "
                "timeout)" + (f"\nQEMU stderr:\n{err[-2000:]}" if err.strip() else "")
            ) from None
        got = {n: (wd / n).read_bytes() for n in read_back if (wd / n).exists()}
    return QemuResult(
        r.returncode, got, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    )


@dataclass
class CortexMRun:
    """What one QEMU execution of the harness measured."""

    target: str
    machine: str
    outputs: list[np.ndarray]
    instructions: list[int]
    """Instructions of each timed run of ``<name>_run_io`` (``runs`` entries)."""
    stack_bytes: int
    """Peak stack depth of ``<name>_run_io`` (stack painting, run 0)."""
    observation_instructions: list[int] | None = None
    """With ``profile``: instructions per observation (index as in ``code.observations``)."""
    epilogue_instructions: int | None = None
    observation_layers: list[int] = field(default_factory=list)
    calibration: int = 0
    stderr: str = ""

    @property
    def layer_instructions(self) -> dict[int, int] | None:
        """With ``profile``: instructions per layer index (observations of a layer summed)."""
        if self.observation_instructions is None:
            return None
        out: dict[int, int] = {}
        for layer, n in zip(self.observation_layers, self.observation_instructions, strict=True):
            out[layer] = out.get(layer, 0) + n
        return out


def _np_dtype(io: dict[str, Any]) -> np.dtype[Any]:
    return DType(io["dtype"]).np


def _words(data: bytes) -> list[int]:
    if len(data) % 4:
        raise McuaiError("prof.bin is truncated")
    return list(struct.unpack(f"<{len(data) // 4}I", data))


def _fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def _parse_prof(
    words: list[int], board: Board, nout: int, nobs: int
) -> tuple[int, list[tuple[int, int, list[int], list[int]]]]:
    """(stack bytes, blocks as (kind, rc, checksums, record words))."""
    if len(words) < 9 or words[0] != PROF_MAGIC or words[1] != PROF_VERSION:
        raise McuaiError(f"prof.bin from {board.machine} has no valid header")
    if words[4] != nobs or words[5] != nout or words[6] != counting.MARK_WORDS:
        raise McuaiError("prof.bin does not match the program description (prog.json)")
    stack = words[7]
    blocks: list[tuple[int, int, list[int], list[int]]] = []
    k = 8
    while True:
        if k >= len(words):
            raise McuaiError("prof.bin is truncated (no end marker)")
        if words[k] == END_MAGIC:
            break
        if words[k] != BLOCK_MAGIC or k + 4 + nout > len(words):
            raise McuaiError(f"prof.bin: bad block at word {k}")
        kind, marks, rc = words[k + 1], words[k + 2], words[k + 3]
        sums = words[k + 4 : k + 4 + nout]
        k += 4 + nout
        n = marks * counting.MARK_WORDS
        if k + n > len(words):
            raise McuaiError("prof.bin: truncated records")
        blocks.append((kind, rc, sums, words[k : k + n]))
        k += n
    return stack, blocks


def run_elf(
    elf: Path,
    target: str | Board,
    inputs: list[np.ndarray],
    *,
    runs: int = 1,
    profile: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> CortexMRun:
    """Run the harness ELF on ``target`` with ``inputs`` (arrays matching the model inputs):
    one untimed run for the outputs and the stack depth, ``runs`` timed runs, and with
    ``profile`` one run with per-layer counts. The outputs of every run must agree."""
    board = get_target(target)
    meta = load_meta(elf)
    name = meta["name"]
    if meta["target"] != board.name:
        raise UsageError(f"{elf} was built for {meta['target']}, not {board.name}")
    if runs < 0:
        raise UsageError("runs must be >= 0")
    ins, outs = meta["inputs"], meta["outputs"]
    if len(inputs) != len(ins):
        raise UsageError(f"'{name}' takes {len(ins)} inputs, got {len(inputs)}")
    files: dict[str, bytes] = {
        "cfg.bin": struct.pack("<4I", CFG_MAGIC, runs, 1 if profile else 0, 0)
    }
    for io, x in zip(ins, inputs, strict=True):
        arr = np.asarray(x)
        if arr.size != int(np.prod(io["shape"], dtype=np.int64)):
            raise UsageError(
                f"input {io['index']} of '{name}' needs shape {io['shape']}, got {arr.shape}"
            )
        arr = np.ascontiguousarray(arr, dtype=_np_dtype(io)).reshape(io["shape"])
        files[f"in{io['index']}.bin"] = arr.tobytes()
    out_names = [f"out{io['index']}.bin" for io in outs]
    what = f"model '{name}'"
    r = run_qemu(elf, board, files, [*out_names, "prof.bin"], timeout, what)
    if r.returncode != 0:
        meaning = EXIT_MEANING.get(r.returncode, "unexpected exit status").replace("<name>", name)
        raise McuaiError(
            f"{what} on {board.name} ({board.machine}) exited with status {r.returncode}: "
            f"{meaning}\n{(r.stderr + r.stdout)[-2000:]}"
        )
    outputs: list[np.ndarray] = []
    for io, fn in zip(outs, out_names, strict=True):
        data = r.files.get(fn)
        if data is None or len(data) != io["bytes"]:
            raise McuaiError(f"{what} on {board.name}: {fn} missing or of the wrong size")
        outputs.append(np.frombuffer(data, dtype=_np_dtype(io)).reshape(io["shape"]).copy())
    if "prof.bin" not in r.files:
        raise McuaiError(f"{what} on {board.name}: prof.bin missing")
    nobs = len(meta["observations"])
    stack, blocks = _parse_prof(_words(r.files["prof.bin"]), board, len(outs), nobs)
    calib = [b for b in blocks if b[0] == KIND_CALIBRATION]
    if len(calib) != 1 or len(calib[0][3]) != CALIBRATION_MARKS * counting.MARK_WORDS:
        raise McuaiError("prof.bin: missing calibration")
    reload = int(meta.get("systick_reload", counting.RELOAD))
    base = counting.calibrate(board, calib[0][3], reload)
    expected = [_fnv1a(o.tobytes()) for o in outputs]
    counts: list[int] = []
    obs_counts: list[int] | None = None
    epilogue: int | None = None
    for kind, rc, sums, recs in blocks:
        if kind == KIND_CALIBRATION:
            continue
        if rc != 0:
            raise McuaiError(f"{what} on {board.name}: {name}_run_io returned {rc}")
        if sums != expected:
            raise McuaiError(f"{what} on {board.name}: the outputs differ between runs")
        times = [t - base for t in counting.decode(board, recs, reload)]
        if kind == KIND_TIMED:
            if len(times) != 2:
                raise McuaiError("prof.bin: a timed run needs 2 marks")
            counts.append(times[1])
        elif kind == KIND_PROFILE:
            if len(times) != nobs + 2:
                raise McuaiError(
                    f"prof.bin: the profile run has {len(times) - 2} observations, not {nobs}"
                )
            obs_counts, epilogue = times[1:-1], times[-1]
    if len(counts) != runs or (profile and obs_counts is None):
        raise McuaiError("prof.bin: missing runs")
    return CortexMRun(
        target=board.name,
        machine=board.machine,
        outputs=outputs,
        instructions=counts,
        stack_bytes=stack,
        observation_instructions=obs_counts,
        epilogue_instructions=epilogue,
        observation_layers=[int(o["layer"]) for o in meta["observations"]],
        calibration=base,
        stderr=r.stderr,
    )


class CortexMModel:
    """Generated code built for one emulated core: ``CortexMModel(code, "cortex-m4").run(x)``."""

    def __init__(self, code: GeneratedCode, target: str | Board, opt: str = "-O2") -> None:
        self.code = code
        self.board = get_target(target)
        self.elf = build_elf(code, self.board, opt)

    @property
    def sizes(self) -> SizeReport:
        return elf_sizes(self.elf)

    def run(
        self,
        inputs: list[np.ndarray],
        *,
        runs: int = 1,
        profile: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> CortexMRun:
        return run_elf(self.elf, self.board, inputs, runs=runs, profile=profile, timeout=timeout)
