"""Decode the instruction counter records of the Cortex-M harness (runtime/cmcount.c).

Under ``qemu-system-arm -icount shift=0`` every guest instruction advances virtual time by
exactly 1 ns, and SysTick (core clock) ticks every P = 1e9 / f instructions: P = 40 on
mps2-an386/an500 (25 MHz), 50 on mps2-an505 (20 MHz), 31.25 on mps3-an547 (32 MHz). Each
``CM_MARK()`` records the SysTick value at the measured instant M and a vernier around the
following tick edges; then it restarts SysTick at instant Z. After Z, tick edge n (n >= 1)
falls exactly floor(n * P) instructions later (edge 1 reloads 0 -> RVR, the counter then
counts down and raises the SysTick interrupt on each 1 -> 0 step, i.e. at every edge
n = m * (RVR + 1)). From the record, M - Z_prev = floor(n * P) - (E2 - M), where E2 is the
first edge seen by the 9 back-to-back samples. Resolution: 1 instruction, on every board;
identical run to run because QEMU's virtual clock is the instruction count.

A count is (M - Z_prev) minus the calibration constant (the same quantity for an empty region,
i.e. two consecutive marks) minus 6 instructions for each SysTick wrap interrupt taken inside
the region.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from mcuai.errors import McuaiError
from mcuai.targets.cortexm.boards import Board

MARK_WORDS = 14
"""32-bit words per record: v, i, c, s0..s8, wraps, ICSR."""
SAMPLES = 9
RELOAD = 0xFFFFFF
"""SysTick reload value: 2**24 ticks between wraps (0.67 s of guest time at 25 MHz)."""
WRAP_COST = 6
"""Instructions of SysTick_Handler (one per wrap inside a measured region)."""
_ICSR_PENDSTSET = 1 << 26


def fine_delay(board: Board) -> int:
    """NOPs between the coarse loop and the samples, so that the samples straddle the next
    tick edge (4-instruction loop, up to 1 instruction of jitter in the edge spacing)."""
    return math.floor(board.ns_per_tick) - 10


def check_reload(board: Board, reload: int = RELOAD) -> None:
    """A usable SysTick reload: 24 bits, long enough that at most one wrap happens during a
    mark (interrupts masked: one pending bit), and a whole number of ns per wrap."""
    if not 63 <= reload <= 0xFFFFFF:
        raise McuaiError(f"SysTick reload {reload:#x} is outside [0x3f, 0xffffff]")
    if ((reload + 1) * board.ns_per_tick).denominator != 1:
        raise McuaiError(
            f"SysTick reload {reload:#x} does not span a whole number of ns on {board.machine}"
        )


@dataclass(frozen=True)
class MarkRecord:
    v: int
    loops: int
    changed: int
    samples: tuple[int, ...]
    wraps: int
    icsr: int

    @classmethod
    def from_words(cls, w: Sequence[int]) -> MarkRecord:
        if len(w) != MARK_WORDS:
            raise ValueError(f"a mark record has {MARK_WORDS} words, not {len(w)}")
        return cls(w[0], w[1], w[2], tuple(w[3 : 3 + SAMPLES]), w[12], w[13])


def raw_time(board: Board, rec: MarkRecord, reload: int = RELOAD) -> int:
    """Instructions from the previous mark's restart Z to this mark's measuring instant M,
    plus a constant (removed by calibration), minus the SysTick interrupts taken meanwhile."""
    p: Fraction = board.ns_per_tick
    s = rec.samples
    if rec.loops < 1 or s[0] != rec.changed or rec.changed == rec.v:
        raise McuaiError(f"instruction counter: inconsistent record {rec} on {board.machine}")
    changed = [j for j in range(1, SAMPLES) if s[j] != rec.changed]
    if not changed:
        raise McuaiError(
            f"instruction counter: the vernier missed the tick edge on {board.machine} "
            f"(record {rec}); is QEMU running with -icount shift=0?"
        )
    j = changed[0]
    val = s[j]
    # index n of edge E2 after Z: the value after edge n is RVR - ((n - 1) mod (RVR + 1)), and
    # interrupts (wraps taken + pending) fire at n = m * (RVR + 1)
    interrupts = rec.wraps + (1 if rec.icsr & _ICSR_PENDSTSET else 0)
    n0 = 1 + (reload - val)
    n = n0 + (interrupts - (1 if n0 == reload + 1 else 0)) * (reload + 1)
    # position of E2 after M: M=0, movs=1, coarse loop reads at 2 + 4k, last one at 4i - 2,
    # then cmp/beq, the nops and the samples
    e2 = 4 * rec.loops - 2 + 4 + fine_delay(board) + j
    return math.floor(n * p) - e2 - WRAP_COST * rec.wraps


def decode(board: Board, words: Sequence[int], reload: int = RELOAD) -> list[int]:
    """Raw times of consecutive records in ``words``."""
    if len(words) % MARK_WORDS:
        raise McuaiError("instruction counter: truncated record buffer")
    return [
        raw_time(board, MarkRecord.from_words(words[k : k + MARK_WORDS]), reload)
        for k in range(0, len(words), MARK_WORDS)
    ]


def calibrate(board: Board, words: Sequence[int], reload: int = RELOAD) -> int:
    """The raw time of an empty region, from records of back-to-back marks (the first record
    measures the time before the first mark and is ignored); all must agree."""
    times = decode(board, words, reload)[1:]
    if not times or len(set(times)) != 1:
        raise McuaiError(
            f"instruction counter: calibration is not deterministic on {board.machine}: {times}"
        )
    return times[0]
