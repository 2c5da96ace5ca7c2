"""Cross-compile generated code with its Cortex-M harness into an ELF for QEMU (cached).

Every C file is compiled to its own object (``-std=c99 -Wall -Wextra -Werror -mthumb``, the
board's ``-mcpu``/FPU flags, ``-ffunction-sections -fdata-sections``) and linked with
``--gc-sections``, newlib-nano (``--specs=nano.specs``, only for memcpy/memset and libm) and
our own startup (``-nostartfiles``). The linker map gives the size of every kept input
section, which :func:`parse_map` attributes to the network, its weights, the kernels, the
harness, the runtime and the C libraries.

Cache: ``$MCUAI_CACHE/cortexm/<hash>/`` (``prog.elf``, ``prog.map``, ``prog.json`` with the
I/O description and the sizes), keyed by the sources, the harness, the runtime, the board,
the flags and the compiler version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import McuaiError
from mcuai.targets.cortexm.boards import Board, get_target
from mcuai.targets.cortexm.counting import RELOAD, check_reload, fine_delay
from mcuai.targets.cortexm.harness import target_harness
from mcuai.targets.cortexm.toolchain import Toolchain, find_toolchain
from mcuai.targets.host import _cache_dir

WARN = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
RUNTIME_SOURCES = ("startup.c", "semihost.c", "cmcount.c")
RUNTIME_HEADERS = ("cmrt.h", "semihost.h")
MIN_STACK = 16 * 1024
META_VERSION = 1


def _runtime_text(name: str) -> str:
    return (
        resources.files("mcuai.targets.cortexm")
        .joinpath("runtime")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def linker_script(board: Board, min_stack: int = MIN_STACK) -> str:
    """The linker script of ``board`` (from ``runtime/link.ld.in``)."""
    weights = ""
    if board.weights is not None:
        weights = (
            f"    WEIGHTS (r) : ORIGIN = {board.weights.origin:#010x}, "
            f"LENGTH = {board.weights.size:#x}\n"
        )
    subst = {
        "@MACHINE@": board.machine,
        "@CORE@": board.core,
        "@CODE_ORIGIN@": f"{board.code.origin:#010x}",
        "@CODE_SIZE@": f"{board.code.size:#x}",
        "@RAM_ORIGIN@": f"{board.ram.origin:#010x}",
        "@RAM_SIZE@": f"{board.ram.size:#x}",
        "@WEIGHTS_MEMORY@": weights,
        "@RODATA_REGION@": "WEIGHTS" if board.weights is not None else "CODE",
        "@MIN_STACK@": f"{min_stack:#x}",
    }
    text = _runtime_text("link.ld.in")
    for k, v in subst.items():
        text = text.replace(k, v)
    return text


def cflags(board: Board, opt: str) -> list[str]:
    """Flags of every compilation unit for ``board``."""
    return [*WARN, "-mthumb", *board.cflags, *opt.split(), "-ffunction-sections", "-fdata-sections"]


# ---- sizes ---------------------------------------------------------------------------------
@dataclass
class SectionSizes:
    text: int = 0
    rodata: int = 0
    data: int = 0
    bss: int = 0

    @property
    def flash(self) -> int:
        """Bytes in code memory: code, constants and the initial values of .data."""
        return self.text + self.rodata + self.data

    @property
    def ram(self) -> int:
        """Bytes of static RAM."""
        return self.data + self.bss

    def add(self, kind: str, n: int) -> None:
        setattr(self, kind, getattr(self, kind) + n)


GROUPS = ("network", "weights", "kernels", "harness", "runtime", "libraries")


@dataclass
class SizeReport:
    """Sizes of the linked program by origin. ``network`` is ``<name>.c`` (layer parameters
    and the run function), ``weights`` is ``<name>_data.c``, ``kernels`` the kernel units;
    together they are ``model``. ``harness`` holds the arena and I/O buffers in its .bss,
    ``runtime`` is startup/semihosting/counter, ``libraries`` the newlib/libgcc members
    (memcpy, memset, soft division, libm) pulled in by either side."""

    groups: dict[str, SectionSizes] = field(default_factory=dict)
    objects: dict[str, SectionSizes] = field(default_factory=dict)
    arena: int = 0

    @property
    def model(self) -> SectionSizes:
        s = SectionSizes()
        for g in ("network", "weights", "kernels"):
            for k, v in asdict(self.groups.get(g, SectionSizes())).items():
                s.add(k, v)
        return s

    @property
    def weights(self) -> int:
        return self.groups.get("weights", SectionSizes()).rodata

    def to_json(self) -> dict[str, Any]:
        return {
            "arena": self.arena,
            "weights": self.weights,
            "model": asdict(self.model),
            "groups": {k: asdict(v) for k, v in self.groups.items()},
            "objects": {k: asdict(v) for k, v in self.objects.items()},
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SizeReport:
        return cls(
            {k: SectionSizes(**v) for k, v in d["groups"].items()},
            {k: SectionSizes(**v) for k, v in d["objects"].items()},
            int(d["arena"]),
        )


_OUT_KIND = {
    ".text": "text",
    ".ARM.extab": "text",
    ".ARM.exidx": "text",
    ".rodata": "rodata",
    ".data": "data",
    ".bss": "bss",
}
_IN_ONE = re.compile(r"^ (\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
_IN_NAME = re.compile(r"^ (\S+)\s*$")
_IN_ADDR = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
_OUT_SEC = re.compile(r"^(\.\S+)(\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+.*)?$")


def parse_map(text: str) -> dict[str, SectionSizes]:
    """Bytes per object file and kind (text/rodata/data/bss) of the kept input sections of a
    GNU ld map file."""
    start = text.find("Linker script and memory map")
    if start < 0:
        raise McuaiError("unexpected linker map format")
    lines = text[start:].splitlines()
    sizes: dict[str, SectionSizes] = {}
    kind: str | None = None
    k = 0
    while k < len(lines):
        line = lines[k]
        k += 1
        m = _OUT_SEC.match(line)
        if m:
            kind = _OUT_KIND.get(m.group(1))
            continue
        if kind is None:
            continue
        m = _IN_ONE.match(line)
        if m:
            name, size, obj = m.group(1), int(m.group(3), 16), m.group(4).strip()
        else:
            m = _IN_NAME.match(line)
            if not m or k >= len(lines):
                continue
            m2 = _IN_ADDR.match(lines[k])
            if not m2:
                continue
            k += 1
            name, size, obj = m.group(1), int(m2.group(2), 16), m2.group(3).strip()
        if name == "*fill*" or size == 0 or obj == "linker stubs":
            continue
        sizes.setdefault(obj, SectionSizes()).add(kind, size)
    return sizes


def _group(obj: str, name: str) -> tuple[str, str]:
    """(group, short object name) of an object path in the map."""
    p = obj.replace("\\", "/")
    if "/obj/model/" in p:
        short = p.split("/obj/model/", 1)[1].removesuffix(".o").replace("__", "/")
        if short == name:
            return "network", short
        if short == f"{name}_data":
            return "weights", short
        return "kernels", short
    if "/obj/harness/" in p:
        short = p.split("/obj/harness/", 1)[1].removesuffix(".o")
        return ("harness" if short == "harness" else "runtime"), short
    m = re.search(r"([^/]+)\.a\(([^)]+)\)$", p)
    short = f"{m.group(1)}({m.group(2)})" if m else os.path.basename(p)
    return "libraries", short


def size_report(map_text: str, name: str, arena: int) -> SizeReport:
    rep = SizeReport(groups={g: SectionSizes() for g in GROUPS}, arena=arena)
    for obj, s in parse_map(map_text).items():
        g, short = _group(obj, name)
        rep.objects[short] = s
        for k, v in asdict(s).items():
            rep.groups[g].add(k, v)
    return rep


# ---- build ---------------------------------------------------------------------------------
def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def _fail(what: str, name: str, board: Board, r: subprocess.CompletedProcess[str]) -> McuaiError:
    log = r.stderr or r.stdout
    hint = ""
    m = re.search(r"region `(\w+)' overflowed by (\d+) bytes", log)
    if m:
        region = {"CODE": board.code, "WEIGHTS": board.weights, "RAM": board.ram}.get(m.group(1))
        what_in = {"CODE": "code", "WEIGHTS": "constants (weights)", "RAM": "RAM (arena, stack)"}
        size = f" ({region.size // 1024} KiB at {region.origin:#010x})" if region else ""
        hint = (
            f"\nThe program does not fit: {what_in.get(m.group(1), m.group(1))} exceed the "
            f"{m.group(1)} region of {board.machine}{size} by {int(m.group(2))} bytes."
        )
    return McuaiError(
        f"{what} '{name}' for {board.name} ({board.machine}) failed:{hint}\n{log[-4000:]}"
    )


def _meta(code: GeneratedCode, board: Board, opt: str, tc: Toolchain) -> dict[str, Any]:
    return {
        "version": META_VERSION,
        "name": code.name,
        "target": board.name,
        "machine": board.machine,
        "opt": opt,
        "gcc": tc.gcc_version,
        "inputs": [io.to_json() for io in code.inputs],
        "outputs": [io.to_json() for io in code.outputs],
        "observations": [o.to_json() for o in code.observations],
        "arena_size": code.arena_size,
    }


def build_elf(
    code: GeneratedCode,
    target: str | Board,
    opt: str = "-O2",
    *,
    harness: str | None = None,
    extra_cflags: list[str] | None = None,
    systick_reload: int = RELOAD,
) -> Path:
    """Compile ``code`` with the Cortex-M harness (:func:`target_harness`, or ``harness``: C
    text with ``main``, which may use ``cmrt.h`` and ``semihost.h``) for ``target``; return
    the path of the (cached) ELF. ``prog.json`` and ``prog.map`` sit next to it.
    ``systick_reload`` only changes how often SysTick wraps (tests of the wrap handling)."""
    tc = find_toolchain()
    board = get_target(target)
    check_reload(board, systick_reload)
    htext = harness if harness is not None else target_harness(code)
    ld = linker_script(board)
    flags = [*cflags(board, opt), *(extra_cflags or [])]
    defines = [f"-DCM_FINE_DELAY={fine_delay(board)}", f"-DCM_SYST_RELOAD={systick_reload:#x}u"]
    runtime = {n: _runtime_text(n) for n in (*RUNTIME_SOURCES, *RUNTIME_HEADERS)}

    h = hashlib.sha256()
    for rel in sorted(code.files):
        h.update(rel.encode() + b"\0" + code.files[rel].encode() + b"\0")
    for n in sorted(runtime):
        h.update(n.encode() + b"\0" + runtime[n].encode() + b"\0")
    h.update(htext.encode() + b"\0" + ld.encode() + b"\0")
    h.update("\0".join([board.name, tc.gcc_version, *flags, *defines, str(META_VERSION)]).encode())
    base = _cache_dir() / "cortexm"
    out_dir = base / h.hexdigest()[:24]
    elf = out_dir / "prog.elf"
    if elf.exists() and (out_dir / "prog.json").exists():
        return elf

    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tmp-", dir=base))  # same file system: atomic moves
    try:
        model_dir, harness_dir = work / "model", work / "harness"
        jobs: list[tuple[Path, Path, list[str]]] = []
        for rel, text in code.files.items():
            p = model_dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            if rel.endswith(".c"):
                obj = work / "obj" / "model" / (rel[:-2].replace("/", "__") + ".o")
                jobs.append((p, obj, ["-I", str(model_dir)]))
        harness_dir.mkdir(parents=True)
        for n, text in runtime.items():
            (harness_dir / n).write_text(text, encoding="utf-8")
        (harness_dir / "harness.c").write_text(htext, encoding="utf-8")
        inc = ["-I", str(model_dir), "-I", str(harness_dir), *defines]
        for n in ("harness.c", *RUNTIME_SOURCES):
            jobs.append((harness_dir / n, work / "obj" / "harness" / (n[:-2] + ".o"), inc))
        for _, obj, _ in jobs:
            obj.parent.mkdir(parents=True, exist_ok=True)

        def compile_one(job: tuple[Path, Path, list[str]]) -> subprocess.CompletedProcess[str]:
            src, obj, extra = job
            return _run([tc.gcc, *flags, *extra, "-c", str(src), "-o", str(obj)], work)

        with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 4)) as pool:
            results = list(pool.map(compile_one, jobs))
        for r in results:
            if r.returncode != 0:
                raise _fail("compiling", code.name, board, r)
        (work / "link.ld").write_text(ld, encoding="utf-8")
        link = [
            tc.gcc,
            "-mthumb",
            *board.cflags,
            "-nostartfiles",
            "--specs=nano.specs",
            "-T",
            str(work / "link.ld"),
            "-Wl,--gc-sections",
            f"-Wl,-Map={work / 'prog.map'}",
            *(str(obj) for _, obj, _ in jobs),
            "-lm",
            "-o",
            str(work / "prog.elf"),
        ]
        r = _run(link, work)
        if r.returncode != 0:
            raise _fail("linking", code.name, board, r)
        map_text = (work / "prog.map").read_text(encoding="utf-8", errors="replace")
        meta = _meta(code, board, opt, tc)
        meta["systick_reload"] = systick_reload
        meta["sizes"] = size_report(map_text, code.name, code.arena_size).to_json()
        (work / "prog.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        for n in ("prog.map", "prog.elf", "prog.json"):  # prog.json last: marks completion
            os.replace(work / n, out_dir / n)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return elf


def load_meta(elf: Path) -> dict[str, Any]:
    """The description written next to an ELF by :func:`build_elf`."""
    p = Path(elf).with_name("prog.json")
    try:
        meta: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise McuaiError(f"{elf} was not built by mcuai.targets.cortexm.build_elf ({e})") from e
    return meta


def elf_sizes(elf: Path) -> SizeReport:
    """Code/data sizes of an ELF built by :func:`build_elf`."""
    return SizeReport.from_json(load_meta(elf)["sizes"])
