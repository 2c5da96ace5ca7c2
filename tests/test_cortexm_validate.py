"""``mcuai validate --target cortex-m*`` (issue #5): the generated C cross-compiled for each
emulated core gives, element for element, the outputs of the same C on the host and is
bit-exact with the reference runtime (LiteRT BUILTIN_REF) on the example model, the four
MLPerf Tiny models and two more corpus models; per-layer data comes from the core; errors
(missing tools, too big for the board, time limit) are clear.

CI cost: every (model, core) pair runs 2 random samples through one QEMU run (with the observer:
every layer output is compared with the host's too); the generated
code, the host build, the host outputs and the reference outputs are shared by the four cores
of a model."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import EXAMPLE, ROOT, corpus_model
from mcuai.api import load_model, optimize
from mcuai.codegen.emit import GeneratedCode
from mcuai.codegen.generate import generate_code
from mcuai.errors import McuaiError, UsageError
from mcuai.ir.graph import Graph
from mcuai.targets.cortexm import TARGETS, Region, ToolchainError, build_elf, find_toolchain
from mcuai.targets.cortexm.validation import (
    END_MAGIC,
    SAMPLE_MAGIC,
    _parse_vout,
    run_validation,
)
from mcuai.targets.host import HostModel, build
from mcuai.validate.data import random_inputs
from mcuai.validate.reference import tflite_reference
from mcuai.validate.run import validate_code, validate_model
from mcuai.validate.targets import TARGETS as VALIDATE_TARGETS
from mcuai.validate.targets import CortexMRunner, c_runner
from test_validate_cli import _corrupt

CORES = sorted(TARGETS)
SAMPLES = 2
MODELS = {
    "example": None,
    "kws": "mlperf_tiny/kws_ref_model.tflite",
    "vww": "mlperf_tiny/vww_96_int8.tflite",
    "resnet": "mlperf_tiny/pretrainedResnet_quant.tflite",
    "ad01": "mlperf_tiny/ad01_int8.tflite",
    "hello_world": "tflm/hello_world_int8.tflite",
    "micro_speech": "tflm/micro_speech_quantized.tflite",
}


@pytest.fixture(scope="module")
def arm_tools() -> None:
    """The Arm toolchain, newlib and QEMU, or skip with the apt-get line."""
    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))


def _cli(*args: str, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcuai", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"COLUMNS": "200", "PATH": path},
    )


# ---- no tools needed -----------------------------------------------------------------------
def test_target_choices_are_checked_by_click() -> None:
    r = _cli("validate", "-m", str(EXAMPLE), "--target", "cortex-m0")
    assert r.returncode == 2
    assert "Invalid value for '--target'" in r.stderr
    for t in VALIDATE_TARGETS:
        assert t in r.stderr
    with pytest.raises(UsageError, match="choose one of host, cortex-m4"):
        validate_model(EXAMPLE, target="cortex-m3", progress=False)


def test_missing_toolchain_gives_the_apt_get_line(tmp_path: Path) -> None:
    r = _cli("validate", "-m", str(EXAMPLE), "--target", "cortex-m7", path=str(tmp_path))
    assert r.returncode != 0
    assert "apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm" in (
        r.stderr
    )
    assert "Traceback" not in r.stderr + r.stdout


@pytest.fixture(scope="module")
def example() -> tuple[Graph, GeneratedCode]:
    graph = optimize(load_model(EXAMPLE))
    return graph, generate_code(graph, "digits", EXAMPLE.name)


def test_too_big_for_the_board_names_its_ram(
    monkeypatch: pytest.MonkeyPatch, example: tuple[Graph, GeneratedCode]
) -> None:
    _, code = example
    small = dataclasses.replace(TARGETS["cortex-m4"], ram=Region(0x2000_0000, 16 * 1024))
    monkeypatch.setitem(TARGETS, "cortex-m4", small)
    with pytest.raises(McuaiError) as e:
        CortexMRunner(code, "cortex-m4", [])
    msg = str(e.value)
    assert "does not fit cortex-m4 (mps2-an386)" in msg
    assert f"arena of {code.arena_size} bytes" in msg and "RAM of 16 KiB at 0x20000000" in msg


def test_vout_parser_rejects_bad_streams(example: tuple[Graph, GeneratedCode]) -> None:
    _, code = example
    board = TARGETS["cortex-m4"]
    out = code.outputs[0].tensor
    good = (
        np.uint32(SAMPLE_MAGIC).tobytes()
        + np.arange(out.nbytes, dtype=np.uint8).tobytes()
        + np.uint32(END_MAGIC).tobytes()
    )
    (outs, seen), *_ = _parse_vout(good, code, 1, False, board)
    np.testing.assert_array_equal(outs[0].view(np.uint8).ravel(), np.arange(out.nbytes) % 256)
    assert seen == []
    with pytest.raises(McuaiError, match="truncated"):
        _parse_vout(good[:-6], code, 1, False, board)
    with pytest.raises(McuaiError, match="does not end after 1 samples"):
        _parse_vout(good + b"\0", code, 1, False, board)
    with pytest.raises(McuaiError, match="unexpected record 0x0"):  # observation when not asked
        _parse_vout(np.uint32(0).tobytes() + good, code, 1, False, board)
    with pytest.raises(McuaiError, match="no data for observations"):
        _parse_vout(good, code, 1, True, board)


# ---- QEMU: the model x core matrix ---------------------------------------------------------
class Case:
    """What the four cores of one model share: the code, the inputs, the host's outputs and
    observations, the reference."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.graph = optimize(load_model(path))
        self.code = generate_code(self.graph, path.stem.replace("-", "_"), path.name)
        self.inputs = random_inputs(self.graph.inputs, SAMPLES, seed=7)
        self.samples = [
            [a[k].reshape(t.shape) for a, t in zip(self.inputs, self.graph.inputs, strict=True)]
            for k in range(SAMPLES)
        ]
        host = HostModel(self.code, build(self.code))
        self.host = [host.run(xs, True) for xs in self.samples]
        self.reference = tflite_reference(path)


_CASES: dict[str, Case] = {}


def _case(key: str) -> Case:
    if key not in _CASES:
        rel = MODELS[key]
        path = EXAMPLE if rel is None else corpus_model(rel)
        _CASES[key] = Case(path)
    return _CASES[key]


def _assert_same(host: list[np.ndarray], target: list[np.ndarray], what: str) -> None:
    assert len(host) == len(target), what
    for j, (a, b) in enumerate(zip(host, target, strict=True)):
        assert a.dtype == b.dtype and a.shape == b.shape, (what, j)
        np.testing.assert_array_equal(a, b, err_msg=f"{what}, tensor {j}")


@pytest.mark.qemu
@pytest.mark.cc
@pytest.mark.ref
@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize(
    "key",
    [pytest.param(k, marks=[pytest.mark.corpus] if MODELS[k] else []) for k in MODELS],
)
def test_same_as_host_and_bit_exact(arm_tools: None, require_cc: str, key: str, core: str) -> None:
    case = _case(key)
    run_c = c_runner(core, case.code, case.graph, case.inputs)
    assert isinstance(run_c, CortexMRunner)
    for k, xs in enumerate(case.samples):
        outs, seen = run_c(xs, True)
        host_outs, host_seen = case.host[k]
        _assert_same(host_outs, outs, f"{key} on {core}, sample {k}, outputs")
        assert len(seen) == len(case.code.observations) > 0
        _assert_same(host_seen, seen, f"{key} on {core}, sample {k}, every layer output")
    assert run_c.qemu_runs == 1  # the whole batch in one boot
    rep = validate_code(
        case.graph,
        case.code,
        run_c,
        case.reference,
        case.path,
        case.inputs,
        "random",
        None,
        False,
        core,
        progress=False,
    )
    assert rep.target == core and rep.samples == SAMPLES
    assert rep.bit_exact is True, [r.metrics for r in rep.rows]
    assert run_c.qemu_runs == 1


# ---- QEMU: end to end ----------------------------------------------------------------------
@pytest.mark.qemu
@pytest.mark.cc
@pytest.mark.ref
def test_cli_reports_the_target(arm_tools: None, require_cc: str, tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    data = ROOT / "examples" / "digits_test.npz"
    r = _cli(
        "validate",
        "-m",
        str(EXAMPLE),
        "-vi",
        str(data),
        "-vo",
        str(data),
        "--target",
        "cortex-m4",
        "--json",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "on cortex-m4" in r.stdout and "bit-exact" in r.stdout
    d: dict[str, Any] = json.loads(out.read_text())
    assert d["target"] == "cortex-m4" and d["samples"] == 20 and d["bit_exact"] is True
    assert d["rows"][1]["pair"] == "C vs ground truth"


@pytest.mark.qemu
@pytest.mark.cc
@pytest.mark.ref
@pytest.mark.parametrize("core", ["cortex-m33", "cortex-m55"])
def test_per_layer_on_the_core(arm_tools: None, require_cc: str, core: str) -> None:
    rep = validate_model(EXAMPLE, batches=2, per_layer=True, target=core, progress=False)
    assert rep.target == core and rep.bit_exact is True
    assert rep.layers is not None and len(rep.layers) >= 9
    assert rep.first_divergence is None


@pytest.mark.qemu
@pytest.mark.cc
@pytest.mark.ref
def test_per_layer_on_the_core_names_a_corrupted_layer(arm_tools: None, require_cc: str) -> None:
    """The observed tensors really come from the core: a layer corrupted in the generated C is
    found there, with the same metrics as on the host."""
    reps = [
        validate_model(
            EXAMPLE,
            batches=2,
            per_layer=True,
            target=t,
            progress=False,
            code_hook=_corrupt(5),  # type: ignore[arg-type]
        )
        for t in ("cortex-m7", "host")
    ]
    fd = reps[0].first_divergence
    assert fd is not None and fd.observation == 5
    assert fd.metrics.bit_exact is not None and fd.metrics.bit_exact < 1.0
    on_core, on_host = ([la.to_json() for la in r.layers or []] for r in reps)
    assert on_core == on_host


@pytest.mark.qemu
@pytest.mark.cc
def test_sample_not_announced_runs_too(
    arm_tools: None, require_cc: str, example: tuple[Graph, GeneratedCode]
) -> None:
    graph, code = example
    inputs = random_inputs(graph.inputs, 2, seed=3)
    xs = [
        [a[k].reshape(t.shape) for a, t in zip(inputs, graph.inputs, strict=True)] for k in (0, 1)
    ]
    run_c = CortexMRunner(code, "cortex-m4", xs[:1])
    host = HostModel(code, build(code))
    for k in (0, 1):
        _assert_same(host.run(xs[k])[0], run_c(xs[k])[0], f"sample {k}")
    assert run_c.qemu_runs == 2


@pytest.mark.qemu
def test_time_limit_names_model_and_target(
    monkeypatch: pytest.MonkeyPatch, arm_tools: None, example: tuple[Graph, GeneratedCode]
) -> None:
    _, code = example
    elf = build_elf(code, "cortex-m4", harness="int main(void)\n{\n    for (;;) {\n    }\n}\n")
    x = [np.zeros(io.tensor.shape, io.tensor.dtype.np) for io in code.inputs]
    with pytest.raises(McuaiError, match=r"model 'digits' \(3 samples\) on cortex-m4 .*within 1 s"):
        run_validation(elf, code, "cortex-m4", [x, x, x], timeout=1.0)
    monkeypatch.setenv("MCUAI_QEMU_TIMEOUT", "0.5")
    with pytest.raises(McuaiError, match=r"(?s)within 0.5 s.*Set MCUAI_QEMU_TIMEOUT=<seconds>"):
        run_validation(elf, code, "cortex-m4", [x])
    monkeypatch.setenv("MCUAI_QEMU_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="MCUAI_QEMU_TIMEOUT='soon'"):
        run_validation(elf, code, "cortex-m4", [x])


@pytest.mark.qemu
def test_failing_run_reports_exit_status(
    arm_tools: None, example: tuple[Graph, GeneratedCode]
) -> None:
    _, code = example
    elf = build_elf(code, "cortex-m55", harness="int main(void)\n{\n    return 5;\n}\n")
    x = [np.zeros(io.tensor.shape, io.tensor.dtype.np) for io in code.inputs]
    with pytest.raises(McuaiError, match=r"cortex-m55 .*status 5: digits_run_io returned an error"):
        run_validation(elf, code, "cortex-m55", [x], timeout=30)


@pytest.mark.qemu
def test_weights_too_big_for_flash_names_the_region(
    monkeypatch: pytest.MonkeyPatch, arm_tools: None, example: tuple[Graph, GeneratedCode]
) -> None:
    _, code = example
    small = dataclasses.replace(TARGETS["cortex-m7"], code=Region(0, 8 * 1024))
    monkeypatch.setitem(TARGETS, "cortex-m7", small)
    with pytest.raises(McuaiError, match=r"exceed the CODE region of mps2-an500 \(8 KiB"):
        CortexMRunner(code, "cortex-m7", [])


@pytest.mark.qemu
@pytest.mark.cc
def test_io_outside_the_arena_and_portable_kernels(
    arm_tools: None, require_cc: str, tmp_path: Path
) -> None:
    """Inputs and outputs in the application's buffers (the harness's static buffers), kernels
    forced onto their portable C (``-DMCU_PORTABLE``): every layer output as on the host."""
    graph = optimize(load_model(EXAMPLE))
    code = generate_code(
        graph, "digits_io", EXAMPLE.name, inputs_in_arena=False, outputs_in_arena=False
    )
    assert not code.io_in_arena
    inputs = random_inputs(graph.inputs, 2, seed=5)
    xs = [
        [a[k].reshape(t.shape) for a, t in zip(inputs, graph.inputs, strict=True)] for k in (0, 1)
    ]
    host = HostModel(code, build(code))
    run_c = c_runner("cortex-m33", code, graph, inputs, extra_cflags=["-DMCU_PORTABLE"])
    for k in (0, 1):
        want, want_seen = host.run(xs[k], True)
        got, seen = run_c(xs[k], True)
        _assert_same(want, got, f"sample {k}")
        _assert_same(want_seen, seen, f"sample {k}, every layer output")
