"""Cortex-M target (issue #5): boards, cross build, QEMU runs bit-exact with the host build,
the deterministic instruction counter, time limits and the missing-toolchain message."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from mcuai.api import generate
from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import McuaiError
from mcuai.targets.cortexm import (
    INSTALL_HINT,
    TARGETS,
    ToolchainError,
    build_elf,
    counting,
    elf_sizes,
    find_toolchain,
    get_target,
    run_elf,
    run_qemu,
)
from mcuai.targets.cortexm.build import linker_script, parse_map
from mcuai.targets.host import HostModel, build
from test_ops_conv2d import conv_model

ALL = sorted(TARGETS)


@pytest.fixture(scope="module")
def arm_tools() -> None:
    """The Arm toolchain, newlib and QEMU, or skip with the apt-get line."""
    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))


def _code(tmp: Path, **kw: bool) -> GeneratedCode:
    p = tmp / "conv.tflite"
    p.write_bytes(conv_model((1, 9, 8, 5), 6, (3, 3)))
    return generate(p, **kw)


@pytest.fixture(scope="module")
def conv_code(tmp_path_factory: pytest.TempPathFactory) -> GeneratedCode:
    return _code(tmp_path_factory.mktemp("cm"))


def _input(code: GeneratedCode, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.integers(-128, 128, io.tensor.shape).astype(io.tensor.dtype.np) for io in code.inputs
    ]


# ---- no tools needed -----------------------------------------------------------------------
def test_boards_follow_the_design() -> None:
    m4, m7, m33, m55 = (TARGETS[n] for n in ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"))
    assert (m4.machine, m7.machine, m33.machine, m55.machine) == (
        "mps2-an386",
        "mps2-an500",
        "mps2-an505",
        "mps3-an547",
    )
    assert [b.ns_per_tick for b in (m4, m7, m33, m55)] == [40, 40, 50, 31.25]
    assert (m33.code.origin, m33.ram.origin) == (0x1000_0000, 0x3800_0000)  # Secure aliases
    assert m55.weights is not None and m55.weights.origin == 0x1100_0000
    assert (m55.code.size, m55.ram.origin) == (512 * 1024, 0x3100_0000)
    assert "-mfpu=fpv4-sp-d16" in m4.cflags and "-mfpu=fpv5-d16" in m7.cflags
    assert get_target("mps2-an505") is m33 and get_target("m55") is m55
    with pytest.raises(McuaiError, match="unknown Cortex-M target"):
        get_target("cortex-m0")
    for b in TARGETS.values():
        counting.check_reload(b)  # 2**24 ticks are a whole number of instructions


def test_linker_scripts() -> None:
    for b in TARGETS.values():
        ld = linker_script(b)
        assert "} > RAM AT > RAM" in ld  # .bss in its own segment
        assert f"ORIGIN = {b.ram.origin:#010x}" in ld
        assert ("} > WEIGHTS" in ld) == (b.weights is not None)


def test_parse_map_attributes_sections() -> None:
    text = """Discarded input sections
 .text.unused   0x00000000       0x40 /w/obj/model/net.o
Linker script and memory map
.text           0x00000000      0x200
 .text.net_run  0x00000000       0x80 /w/obj/model/net.o
 .text.mcu_conv2d_s8
                0x00000080      0x100 /w/obj/model/kernels__mcu_conv2d_s8.o
 *fill*         0x00000180        0x4
 .text          0x00000184       0x7c /usr/lib/libc_nano.a(lib_a-memcpy.o)
.rodata         0x00000200       0x50
 .rodata.net_l0_w
                0x00000200       0x50 /w/obj/model/net_data.o
.bss            0x20000000      0x400
 .bss.arena     0x20000000      0x400 /w/obj/harness/harness.o
"""
    sizes = parse_map(text)
    assert sizes["/w/obj/model/net.o"].text == 0x80
    assert sizes["/w/obj/model/kernels__mcu_conv2d_s8.o"].text == 0x100
    assert sizes["/w/obj/model/net_data.o"].rodata == 0x50
    assert sizes["/w/obj/harness/harness.o"].bss == 0x400
    assert sizes["/usr/lib/libc_nano.a(lib_a-memcpy.o)"].text == 0x7C


def test_missing_toolchain_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainError) as e:
        find_toolchain()
    assert INSTALL_HINT in str(e.value)
    assert "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm" in str(e.value)


# ---- QEMU ----------------------------------------------------------------------------------
@pytest.mark.qemu
@pytest.mark.cc
@pytest.mark.parametrize("target", ALL)
def test_runs_bit_exact_with_host_and_counts_are_deterministic(
    arm_tools: None, require_cc: str, conv_code: GeneratedCode, target: str
) -> None:
    code = conv_code
    x = _input(code)
    want, _ = HostModel(code, build(code)).run(x)
    elf = build_elf(code, target)
    r1 = run_elf(elf, target, x, runs=2, profile=True)
    for a, b in zip(want, r1.outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    # identical within one QEMU run and between two QEMU runs
    assert r1.instructions[0] == r1.instructions[1] > 10_000
    r2 = run_elf(elf, target, x, runs=1, profile=True)
    assert r2.instructions[0] == r1.instructions[0]
    assert r2.observation_instructions == r1.observation_instructions
    layers = r1.layer_instructions
    assert layers is not None and set(layers) == {o.layer for o in code.observations}
    assert r1.epilogue_instructions is not None
    # the per-layer run adds only the observer calls to the plain run
    total = sum(layers.values()) + r1.epilogue_instructions
    assert 0 <= total - r1.instructions[0] <= 20 * len(code.observations)
    assert 64 <= r1.stack_bytes <= 4096
    sizes = elf_sizes(elf)
    assert sizes.weights >= 6 * 3 * 3 * 5  # int8 filter (+ bias, multipliers, shifts)
    assert sizes.model.text > 0 and sizes.groups["harness"].bss >= code.arena_size
    assert sizes.groups["kernels"].text > 0 and sizes.groups["runtime"].text > 0


@pytest.mark.qemu
@pytest.mark.parametrize("target", ALL)
def test_counts_survive_systick_wraps(
    arm_tools: None, conv_code: GeneratedCode, target: str
) -> None:
    """A wrap every 1024 ticks (4 to 7 per inference) changes no count."""
    x = _input(conv_code)
    slow = ["-DMCU_PORTABLE"]  # the portable kernels: enough instructions for 4 wraps
    plain = run_elf(build_elf(conv_code, target, extra_cflags=slow), target, x, profile=True)
    elf = build_elf(conv_code, target, systick_reload=0x3FF, extra_cflags=slow)
    wrapped = run_elf(elf, target, x, runs=2, profile=True)
    assert plain.instructions[0] > 4 * 1024 * 50  # >= 4 wraps even at 50 insn per tick
    assert wrapped.instructions == plain.instructions * 2
    assert wrapped.observation_instructions == plain.observation_instructions


@pytest.mark.qemu
@pytest.mark.cc
def test_io_outside_the_arena(arm_tools: None, require_cc: str, tmp_path: Path) -> None:
    code = _code(tmp_path, inputs_in_arena=False, outputs_in_arena=False)
    assert not code.io_in_arena
    x = _input(code, seed=3)
    want, _ = HostModel(code, build(code)).run(x)
    got = run_elf(build_elf(code, "cortex-m33"), "cortex-m33", x, runs=1)
    np.testing.assert_array_equal(want[0], got.outputs[0])


SLEDS = (0, 1, 2, 3, 5, 8, 13, 21, 31, 32, 33, 39, 40, 41, 49, 50, 51, 63, 64, 65, 100, 127)


def _sled_harness() -> str:
    body = "\n".join(
        f'    CM_MARK();\n    __asm__ volatile(".rept {n}\\n\\tnop\\n\\t.endr");' for n in SLEDS
    )
    nmarks = 3 + len(SLEDS) + 1
    return f"""#include <stdint.h>
#include "cmrt.h"
#include "semihost.h"
static uint32_t recs[{nmarks} * CM_MARK_WORDS];
int main(void)
{{
    cm_rec_ptr = recs;
    cm_rec_end = recs + {nmarks} * CM_MARK_WORDS;
    CM_MARK();
    CM_MARK();
    CM_MARK();
{body}
    CM_MARK();
    return cm_save("recs.bin", recs, sizeof recs);
}}
"""


@pytest.mark.qemu
@pytest.mark.parametrize("target", ALL)
def test_counter_is_exact_to_one_instruction(
    arm_tools: None, conv_code: GeneratedCode, target: str
) -> None:
    """Regions of n NOPs count exactly n on every board (P = 40, 40, 50, 31.25)."""
    elf = build_elf(conv_code, target, harness=_sled_harness())
    r = run_qemu(elf, target, {}, ["recs.bin"], timeout=30)
    assert r.returncode == 0, r.stderr
    data = r.files["recs.bin"]
    words = list(struct.unpack(f"<{len(data) // 4}I", data))
    n = counting.MARK_WORDS
    board = get_target(target)
    base = counting.calibrate(board, words[: 3 * n])
    times = counting.decode(board, words[3 * n :])
    # the first record measures the empty region before the first sled
    assert [t - base for t in times] == [0, *SLEDS]


@pytest.mark.qemu
def test_time_limit_names_model_and_target(arm_tools: None, conv_code: GeneratedCode) -> None:
    elf = build_elf(conv_code, "cortex-m4", harness="int main(void)\n{\n    for (;;) {\n    }\n}\n")
    with pytest.raises(McuaiError, match=r"model 'conv' on cortex-m4 \(mps2-an386.*within 1 s"):
        run_elf(elf, "cortex-m4", _input(conv_code), timeout=1.0)


@pytest.mark.qemu
def test_failing_model_reports_exit_status(arm_tools: None, conv_code: GeneratedCode) -> None:
    elf = build_elf(conv_code, "cortex-m7", harness="int main(void)\n{\n    return 5;\n}\n")
    with pytest.raises(McuaiError, match="status 5: conv_run_io returned an error"):
        run_elf(elf, "cortex-m7", _input(conv_code), timeout=30)


@pytest.mark.qemu
def test_fault_is_reported_with_its_pc(arm_tools: None, conv_code: GeneratedCode) -> None:
    harness = 'int main(void)\n{\n    __asm__ volatile("udf #0");\n    return 0;\n}\n'
    elf = build_elf(conv_code, "cortex-m33", harness=harness)
    with pytest.raises(McuaiError, match=r"status 99: the core faulted(.|\n)*PC=0x1000"):
        run_elf(elf, "cortex-m33", _input(conv_code), timeout=30)
