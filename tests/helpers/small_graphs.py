"""Small int8 TFLite graphs with branches, for the memory tests (in place, schedule, pools).

``Net`` wraps :class:`TFLiteBuilder` with one method per layer kind; every activation is int8
with its own quantization, weights are seeded random, so LiteRT's reference kernels can check
the generated C bit for bit.
"""

from __future__ import annotations

import numpy as np
from ai_edge_litert import schema_py_generated as s

from helpers.tflite_builder import TFLiteBuilder, options

Q = tuple[float, int]


class Net:
    def __init__(self, seed: int = 0) -> None:
        self.b = TFLiteBuilder()
        self.rng = np.random.default_rng(seed)
        self.shapes: dict[int, list[int]] = {}
        self.quant: dict[int, Q] = {}
        self.count = 0

    def _t(self, shape: list[int], q: Q, name: str | None = None) -> int:
        self.count += 1
        t = self.b.tensor(name or f"t{self.count}", shape, "int8", scale=q[0], zero_point=q[1])
        self.shapes[t], self.quant[t] = shape, q
        return t

    def input(self, shape: list[int], q: Q = (0.05, -3), name: str = "x") -> int:
        return self._t(shape, q, name)

    def conv1x1(self, x: int, cout: int, q: Q = (0.08, 2), relu: bool = False) -> int:
        n, h, w, cin = self.shapes[x]
        wdata = self.rng.integers(-127, 128, (cout, 1, 1, cin)).astype(np.int8)
        ws = [float(v) for v in self.rng.uniform(0.002, 0.01, cout)]
        wt = self.b.const(f"w{self.count}", wdata, scale=ws, zero_point=[0] * cout)
        bias = self.rng.integers(-2000, 2000, cout).astype(np.int32)
        sx = self.quant[x][0]
        bt = self.b.const(f"b{self.count}", bias, scale=[sx * v for v in ws], zero_point=[0] * cout)
        y = self._t([n, h, w, cout], q)
        act = s.ActivationFunctionType.RELU if relu else s.ActivationFunctionType.NONE
        opts = options(
            "Conv2DOptionsT",
            padding=s.Padding.SAME,
            strideH=1,
            strideW=1,
            dilationHFactor=1,
            dilationWFactor=1,
            fusedActivationFunction=act,
        )
        self.b.op("CONV_2D", [x, wt, bt], [y], opts, version=3)
        return y

    def unary(self, op: str, x: int, q: Q | None = None) -> int:
        """TANH, RELU, LOGISTIC (output scale 1/256), HARD_SWISH, ..."""
        if q is None:
            q = (1 / 256, -128) if op == "LOGISTIC" else (0.03, 4)
        y = self._t(list(self.shapes[x]), q)
        self.b.op(op, [x], [y])
        return y

    def binary(self, op: str, a: int, c: int, q: Q = (0.1, -1)) -> int:
        y = self._t(list(self.shapes[a]), q)
        opts = None
        if op in ("ADD", "SUB"):
            opts = options(f"{op.capitalize()}OptionsT")
        elif op == "MUL":
            opts = options("MulOptionsT")
        self.b.op(op, [a, c], [y], opts, version=2)
        return y

    def mean_hw(self, x: int, q: Q = (0.02, 1)) -> int:
        n, _, _, c = self.shapes[x]
        ax = self.b.const(f"axes{self.count}", np.array([1, 2], dtype=np.int32))
        y = self._t([n, c], q)
        self.b.op("MEAN", [x, ax], [y], options("ReducerOptionsT", keepDims=False), version=2)
        return y

    def quantize(self, x: int, q: Q) -> int:
        y = self._t(list(self.shapes[x]), q)
        self.b.op("QUANTIZE", [x], [y])
        return y

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        return self.b.build(inputs, outputs)
