"""Check generated C against LiteRT's reference kernels on a (usually single-op) model.

``check_against_litert(model_bytes, tmp_path)`` writes the model, generates and compiles the C
code for the host, runs both on the same seeded random inputs (full integer range for quantized
inputs, uniform [-1, 1) for float inputs, or given arrays) and asserts equality: exact for
integer outputs unless ``atol`` is given, ``rtol``/``atol`` closeness for float outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from mcuai.api import generate
from mcuai.targets.host import HostModel, build


def litert_reference(path: Path) -> Interpreter:
    it = Interpreter(model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    return it


def litert_run(it: Interpreter, inputs: list[np.ndarray]) -> list[np.ndarray]:
    for d, x in zip(it.get_input_details(), inputs, strict=True):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def random_input(shape: tuple[int, ...], dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, int(info.max) + 1, size=shape).astype(dtype)
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


def check_against_litert(
    model: bytes,
    tmp_path: Path,
    n: int = 5,
    seed: int = 0,
    inputs: list[list[np.ndarray]] | None = None,
    atol: float = 0.0,
    rtol: float = 0.0,
    name: str = "op",
) -> None:
    """Assert that the generated C matches LiteRT BUILTIN_REF on ``n`` inputs."""
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    code = generate(path, name=name)
    host = HostModel(code, build(code))
    it = litert_reference(path)
    rng = np.random.default_rng(seed)
    cases = inputs
    if cases is None:
        cases = [
            [random_input(tuple(d["shape"]), d["dtype"], rng) for d in it.get_input_details()]
            for _ in range(n)
        ]
    for k, xs in enumerate(cases):
        ref = litert_run(it, xs)
        got, _ = host.run(xs)
        for j, (g, r) in enumerate(zip(got, ref, strict=True)):
            assert g.shape == r.shape and g.dtype == r.dtype, (g.shape, r.shape, g.dtype, r.dtype)
            if np.issubdtype(r.dtype, np.integer) and atol == 0:
                diff = np.abs(g.astype(np.int64) - r.astype(np.int64))
                assert diff.max() == 0, (
                    f"case {k} output {j}: {np.count_nonzero(diff)}/{diff.size} elements differ,"
                    f" max {diff.max()} LSB; first at {np.argwhere(diff)[0].tolist()}"
                )
            else:
                np.testing.assert_allclose(
                    g.astype(np.float64),
                    r.astype(np.float64),
                    rtol=rtol,
                    atol=atol,
                    err_msg=f"case {k} output {j}",
                )
