"""The emulated Cortex-M targets (DESIGN §6): gcc flags, memory map, SysTick clock, QEMU board.

Every board boots from the vector table at the start of ``code``; the Armv8-M boards (an505,
an547) boot in the Secure state, so code and RAM use the Secure aliases (0x1... / 0x3...).
``weights`` is the region for ``.rodata`` when the board keeps it apart from the code (an547:
512 KiB ITCM for code, 2 MiB SRAM for constants); otherwise ``.rodata`` follows ``.text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from mcuai.errors import UsageError


@dataclass(frozen=True)
class Region:
    origin: int
    size: int

    @property
    def end(self) -> int:
        return self.origin + self.size


@dataclass(frozen=True)
class Board:
    """One emulated target: ``name`` is the core mcuai calls it by, ``machine`` the QEMU
    board (``-M``)."""

    name: str
    core: str
    machine: str
    cflags: tuple[str, ...]
    code: Region
    ram: Region
    weights: Region | None
    systick_hz: int
    helium: bool = False
    dsp: bool = True

    @property
    def ns_per_tick(self) -> Fraction:
        """Instructions per SysTick tick under ``-icount shift=0`` (1 instruction = 1 ns)."""
        return Fraction(10**9, self.systick_hz)


KiB = 1024
MiB = 1024 * KiB

TARGETS: dict[str, Board] = {
    b.name: b
    for b in (
        Board(
            name="cortex-m4",
            core="Cortex-M4F",
            machine="mps2-an386",
            cflags=("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
            code=Region(0x0000_0000, 4 * MiB),
            ram=Region(0x2000_0000, 4 * MiB),
            weights=None,
            systick_hz=25_000_000,
        ),
        Board(
            name="cortex-m7",
            core="Cortex-M7",
            machine="mps2-an500",
            cflags=("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
            code=Region(0x0000_0000, 4 * MiB),
            ram=Region(0x2000_0000, 4 * MiB),
            weights=None,
            systick_hz=25_000_000,
        ),
        Board(
            name="cortex-m33",
            core="Cortex-M33",
            machine="mps2-an505",
            cflags=("-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
            code=Region(0x1000_0000, 4 * MiB),
            ram=Region(0x3800_0000, 4 * MiB),
            weights=None,
            systick_hz=20_000_000,
        ),
        Board(
            name="cortex-m55",
            core="Cortex-M55 (Helium)",
            machine="mps3-an547",
            cflags=("-mcpu=cortex-m55", "-mfloat-abi=hard"),
            code=Region(0x1000_0000, 512 * KiB),
            ram=Region(0x3100_0000, 4 * MiB),
            weights=Region(0x1100_0000, 2 * MiB),
            systick_hz=32_000_000,
            helium=True,
        ),
    )
}


def get_target(target: str | Board) -> Board:
    """The board for a core name (``cortex-m4``) or a QEMU machine name (``mps2-an386``)."""
    if isinstance(target, Board):
        return target
    key = target.strip().lower()
    for b in TARGETS.values():
        if key in (b.name, b.machine, b.name.removeprefix("cortex-")):
            return b
    raise UsageError(
        f"unknown Cortex-M target '{target}'; choose one of "
        + ", ".join(f"{b.name} ({b.machine})" for b in TARGETS.values())
    )
