"""Find the Arm GNU toolchain (with newlib) and qemu-system-arm, or say how to install them."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from mcuai.errors import McuaiError

INSTALL_HINT = (
    "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "
    "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
)


class ToolchainError(McuaiError):
    """The Arm cross toolchain, newlib or QEMU is missing."""


@dataclass(frozen=True)
class Toolchain:
    gcc: str
    qemu: str
    gcc_version: str
    qemu_version: str


def _missing(what: str) -> ToolchainError:
    return ToolchainError(
        f"{what} not found: the Cortex-M target needs the Arm GNU toolchain with newlib and "
        f"QEMU. Install them with:\n  {INSTALL_HINT}"
    )


def _first_line(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    return (r.stdout or r.stderr).splitlines()[0].strip() if (r.stdout or r.stderr) else ""


@functools.lru_cache(maxsize=8)
def _find(path_env: str) -> Toolchain:
    gcc = shutil.which("arm-none-eabi-gcc", path=path_env)
    if gcc is None:
        raise _missing("arm-none-eabi-gcc")
    lib = subprocess.run(
        [gcc, "-mthumb", "-mcpu=cortex-m4", "-print-file-name=libc_nano.a"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not os.path.isabs(lib) or not os.path.exists(lib):
        raise _missing("newlib for arm-none-eabi (libc_nano.a)")
    qemu = shutil.which("qemu-system-arm", path=path_env)
    if qemu is None:
        raise _missing("qemu-system-arm")
    return Toolchain(gcc, qemu, _first_line([gcc, "--version"]), _first_line([qemu, "--version"]))


def find_toolchain() -> Toolchain:
    """The cross compiler and the emulator on ``$PATH``; :class:`ToolchainError` (with the
    apt-get line) when one is missing."""
    return _find(os.environ.get("PATH", os.defpath))


def tool(tc: Toolchain, name: str) -> str:
    """Another binutils program next to the compiler (``nm``, ``size``, ``objdump``)."""
    return os.path.join(os.path.dirname(tc.gcc), f"arm-none-eabi-{name}")
