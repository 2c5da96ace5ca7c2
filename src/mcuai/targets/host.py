"""Compile generated code with the host C compiler and run it.

Two forms: a shared library driven through ctypes (fast: validation runs many inputs in one
process) and a standalone executable built around a generated harness (used with ASan/UBSan,
which cannot be loaded into a Python process). Builds are cached by the hash of the sources and
flags under ``$MCUAI_CACHE`` (default ``~/.cache/mcuai``).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import McuaiError

STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def find_cc(preferred: str | None = None) -> str:
    """The C compiler: ``preferred``, else ``$CC``, else cc/gcc/clang on PATH."""
    for cand in (preferred, os.environ.get("CC"), "cc", "gcc", "clang"):
        if cand and shutil.which(cand):
            return cand
    raise McuaiError(
        "no host C compiler found (tried $CC, cc, gcc, clang); install one, e.g. "
        "'sudo apt-get install gcc'"
    )


def _cache_dir() -> Path:
    base = Path(os.environ.get("MCUAI_CACHE", Path.home() / ".cache" / "mcuai"))
    try:
        base.mkdir(parents=True, exist_ok=True)
        return base
    except OSError:
        return Path(tempfile.mkdtemp(prefix="mcuai-cache-"))


def _write_sources(code: GeneratedCode, folder: Path) -> list[Path]:
    sources = []
    for rel, text in code.files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        if rel.endswith(".c"):
            sources.append(p)
    return sorted(sources)


def _compile(cmd: list[str], cwd: Path) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise McuaiError(
            f"compiling the generated code failed ({' '.join(cmd[:3])} ...):\n"
            + (r.stderr or r.stdout)[-4000:]
        )


def build(
    code: GeneratedCode,
    kind: str = "shared",
    cc: str | None = None,
    opt: str = "-O2",
    extra: list[str] | None = None,
    harness: str | None = None,
) -> Path:
    """Compile ``code`` into a shared library (``kind="shared"``) or an executable with
    ``harness`` (C source text with ``main``); return its path (cached)."""
    compiler = find_cc(cc)
    flags = [*STRICT, opt, *(extra or [])]
    h = hashlib.sha256()
    for rel in sorted(code.files):
        h.update(rel.encode() + b"\0" + code.files[rel].encode() + b"\0")
    h.update(" ".join([compiler, kind, *flags]).encode())
    if harness is not None:
        h.update(harness.encode())
    out_dir = _cache_dir() / "build" / h.hexdigest()[:24]
    target = out_dir / ("lib.so" if kind == "shared" else "prog")
    if target.exists():
        return target
    work = Path(tempfile.mkdtemp(prefix="mcuai-build-"))
    try:
        sources = _write_sources(code, work)
        if harness is not None:
            (work / "harness.c").write_text(harness, encoding="utf-8")
            sources.append(work / "harness.c")
        tmp_target = work / target.name
        cmd = [compiler, *flags]
        if kind == "shared":
            cmd += ["-shared", "-fPIC"]
        cmd += ["-I", str(work), "-o", str(tmp_target), *map(str, sources), "-lm"]
        _compile(cmd, work)
        out_dir.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_target, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


_Observer = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


class HostModel:
    """The generated model loaded into this process."""

    def __init__(self, code: GeneratedCode, lib_path: Path) -> None:
        self.code = code
        self.lib = ctypes.CDLL(str(lib_path))
        n = code.name
        self._init = getattr(self.lib, f"{n}_init")
        self._init.argtypes = [ctypes.c_void_p]
        self._run_io = getattr(self.lib, f"{n}_run_io")
        self._run_io.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self._set_obs = getattr(self.lib, f"{n}_set_observer")
        self._set_obs.argtypes = [_Observer, ctypes.c_void_p]
        align = code.arena_align
        self._raw = np.zeros(max(code.arena_size, 1) + align, np.uint8)
        off = (-self._raw.ctypes.data) % align
        self.arena = self._raw[off : off + max(code.arena_size, 1)]
        rc = self._init(self.arena.ctypes.data)
        if rc != 0:
            raise McuaiError(f"{n}_init returned {rc}")

    def _io_arrays(self, inputs: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        ins, outs = [], []
        for io, x in zip(self.code.inputs, inputs, strict=True):
            t = io.tensor
            arr = np.ascontiguousarray(x, dtype=t.dtype.np).reshape(t.shape)
            if io.offset is not None:
                self.arena[io.offset : io.offset + t.nbytes] = arr.reshape(-1).view(np.uint8)
            ins.append(arr)
        for io in self.code.outputs:
            outs.append(np.zeros(io.tensor.shape, io.tensor.dtype.np))
        return ins, outs

    def run(
        self, inputs: list[np.ndarray], observe: bool = False
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """One inference. Returns the outputs and, with ``observe``, every observed layer
        output (index = observation index)."""
        ins, outs = self._io_arrays(inputs)
        seen: list[np.ndarray] = []
        obs = self.code.observations

        def cb(index: int, data: int, user: int) -> None:
            t = obs[index].tensor
            buf = (ctypes.c_uint8 * t.nbytes).from_address(data)
            arr = np.frombuffer(bytes(buf), dtype=t.dtype.np).reshape(t.shape)
            seen.append(arr)

        c_cb = _Observer(cb) if observe else _Observer(0)
        self._set_obs(c_cb, None)
        in_ptrs = (ctypes.c_void_p * max(len(ins), 1))(*[a.ctypes.data for a in ins])
        out_ptrs = (ctypes.c_void_p * max(len(outs), 1))(*[a.ctypes.data for a in outs])
        rc = self._run_io(self.arena.ctypes.data, in_ptrs, out_ptrs)
        self._set_obs(_Observer(0), None)
        if rc != 0:
            raise McuaiError(f"{self.code.name}_run_io returned {rc}")
        results = []
        for io, o in zip(self.code.outputs, outs, strict=True):
            if io.offset is not None:
                t = io.tensor
                raw = self.arena[io.offset : io.offset + t.nbytes].copy()
                results.append(raw.view(t.dtype.np).reshape(t.shape))
            else:
                results.append(o)
        return results, seen
