"""Where ``mcuai validate`` runs the generated C: the host (a shared library in this process)
or an emulated Cortex-M core (cross-compiled, run under QEMU).

:func:`c_runner` returns the ``run_c(inputs, per_layer) -> (outputs, observed)`` callable that
:func:`mcuai.validate.run.validate_code` calls sample by sample. On a Cortex-M core one QEMU
run per sample would boot the board N times, so the runner is given every sample up front: its
first call runs the whole batch in one QEMU run (with the observer when ``per_layer``) and
every call returns the results of the sample whose bytes it is given.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import UsageError
from mcuai.ir.graph import Graph

TARGETS = ("host", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
"""The values of ``mcuai validate --target``."""

RunC = Callable[[list[np.ndarray], bool], tuple[list[np.ndarray], list[np.ndarray]]]


def _key(xs: list[np.ndarray], code: GeneratedCode) -> bytes:
    return b"".join(
        np.ascontiguousarray(x, dtype=io.tensor.dtype.np).tobytes()
        for io, x in zip(code.inputs, xs, strict=True)
    )


class CortexMRunner:
    """``run_c`` for an emulated core: a batch of samples through one QEMU run."""

    def __init__(
        self,
        code: GeneratedCode,
        target: str,
        samples: list[list[np.ndarray]],
        opt: str = "-O2",
        timeout: float | None = None,
        extra_cflags: list[str] | None = None,
    ) -> None:
        from mcuai.targets.cortexm.boards import get_target
        from mcuai.targets.cortexm.toolchain import find_toolchain
        from mcuai.targets.cortexm.validation import build_validation_elf

        find_toolchain()
        self.code = code
        self.board = get_target(target)
        self.samples = samples
        self.timeout = timeout
        self.elf = build_validation_elf(code, self.board, opt, extra_cflags)
        self.qemu_runs = 0
        self._results: dict[tuple[bytes, bool], tuple[list[np.ndarray], list[np.ndarray]]] = {}

    def _run(self, samples: list[list[np.ndarray]], observe: bool) -> None:
        from mcuai.targets.cortexm.validation import run_validation

        got = run_validation(self.elf, self.code, self.board, samples, observe, self.timeout)
        self.qemu_runs += 1
        for xs, res in zip(samples, got, strict=True):
            self._results[(_key(xs, self.code), observe)] = res

    def __call__(
        self, inputs: list[np.ndarray], observe: bool = False
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Outputs (and with ``observe`` the observed tensors) of one sample. A sample without
        results yet runs together with every announced sample still lacking them."""
        key = _key(inputs, self.code)
        hit = self._results.get((key, observe))
        if hit is None and not observe:
            hit = self._results.get((key, True))  # a run with the observer has the outputs
        if hit is None:
            batch = [
                xs for xs in self.samples if (_key(xs, self.code), observe) not in self._results
            ]
            if all(_key(xs, self.code) != key for xs in batch):
                batch.append(inputs)  # a sample not announced: run it too
            self._run(batch, observe)
            hit = self._results[(key, observe)]
        outs, seen = hit
        return [o.copy() for o in outs], [s.copy() for s in seen] if observe else []


def c_runner(
    target: str,
    code: GeneratedCode,
    graph: Graph,
    inputs: list[np.ndarray],
    opt: str = "-O2",
    timeout: float | None = None,
    extra_cflags: list[str] | None = None,
) -> RunC:
    """The ``run_c`` of ``target`` for ``code``. ``inputs`` are the batched arrays that
    validation will feed (one per model input, samples along the first axis); a Cortex-M
    runner runs them all in its first QEMU run. ``opt``, ``timeout`` (seconds of host time,
    default by the number of samples) and ``extra_cflags`` apply to Cortex-M targets."""
    if target == "host":
        from mcuai.targets.host import HostModel, build

        host = HostModel(code, build(code))
        return host.run
    if target not in TARGETS:
        raise UsageError(f"--target {target}: choose one of {', '.join(TARGETS)}")
    n = int(inputs[0].shape[0]) if inputs else 0
    samples = [
        [a[k].reshape(t.shape) for a, t in zip(inputs, graph.inputs, strict=True)] for k in range(n)
    ]
    return CortexMRunner(code, target, samples, opt, timeout, extra_cflags)
