"""Small int8 TFLite graphs with window ops (convolution, depthwise convolution, pooling) and
PAD, for the tests of ``passes/fuse_pad.py`` and of the overlapping in-place kernels. Weights
are seeded random; LiteRT's reference kernels give the expected values."""

from __future__ import annotations

import numpy as np
from ai_edge_litert import schema_py_generated as s

from helpers.small_graphs import Net, Q
from helpers.tflite_builder import options


def _out(size: int, k: int, stride: int, same: bool) -> int:
    return -(-size // stride) if same else (size - k) // stride + 1


class WindowNet(Net):
    def conv(
        self,
        x: int,
        cout: int,
        k: tuple[int, int] = (3, 3),
        stride: tuple[int, int] = (1, 1),
        same: bool = False,
        q: Q = (0.08, 2),
        relu: bool = False,
    ) -> int:
        n, h, w, cin = self.shapes[x]
        wdata = self.rng.integers(-127, 128, (cout, k[0], k[1], cin)).astype(np.int8)
        ws = [float(v) for v in self.rng.uniform(0.002, 0.01, cout)]
        wt = self.b.const(f"w{self.count}", wdata, scale=ws, zero_point=[0] * cout)
        bias = self.rng.integers(-2000, 2000, cout).astype(np.int32)
        sx = self.quant[x][0]
        bt = self.b.const(f"b{self.count}", bias, scale=[sx * v for v in ws], zero_point=[0] * cout)
        shape = [n, _out(h, k[0], stride[0], same), _out(w, k[1], stride[1], same), cout]
        y = self._t(shape, q)
        act = s.ActivationFunctionType.RELU if relu else s.ActivationFunctionType.NONE
        opts = options(
            "Conv2DOptionsT",
            padding=s.Padding.SAME if same else s.Padding.VALID,
            strideH=stride[0],
            strideW=stride[1],
            dilationHFactor=1,
            dilationWFactor=1,
            fusedActivationFunction=act,
        )
        self.b.op("CONV_2D", [x, wt, bt], [y], opts, version=3)
        return y

    def dw(
        self,
        x: int,
        k: tuple[int, int] = (3, 3),
        stride: tuple[int, int] = (1, 1),
        same: bool = False,
        q: Q = (0.06, -5),
        dilation: int = 1,
    ) -> int:
        n, h, w, c = self.shapes[x]
        wdata = self.rng.integers(-127, 128, (1, k[0], k[1], c)).astype(np.int8)
        ws = [float(v) for v in self.rng.uniform(0.002, 0.01, c)]
        wt = self.b.const(f"w{self.count}", wdata, scale=ws, zero_point=[0] * c, axis=3)
        bias = self.rng.integers(-2000, 2000, c).astype(np.int32)
        sx = self.quant[x][0]
        bt = self.b.const(f"b{self.count}", bias, scale=[sx * v for v in ws], zero_point=[0] * c)
        eff = ((k[0] - 1) * dilation + 1, (k[1] - 1) * dilation + 1)
        shape = [n, _out(h, eff[0], stride[0], same), _out(w, eff[1], stride[1], same), c]
        y = self._t(shape, q)
        opts = options(
            "DepthwiseConv2DOptionsT",
            padding=s.Padding.SAME if same else s.Padding.VALID,
            strideH=stride[0],
            strideW=stride[1],
            depthMultiplier=1,
            dilationHFactor=dilation,
            dilationWFactor=dilation,
        )
        self.b.op("DEPTHWISE_CONV_2D", [x, wt, bt], [y], opts, version=6)
        return y

    def pool(
        self,
        op: str,
        x: int,
        k: tuple[int, int] = (3, 3),
        stride: tuple[int, int] = (2, 2),
        same: bool = False,
    ) -> int:
        """MAX_POOL_2D / AVERAGE_POOL_2D; the output keeps the input's quantization."""
        n, h, w, c = self.shapes[x]
        shape = [n, _out(h, k[0], stride[0], same), _out(w, k[1], stride[1], same), c]
        y = self._t(shape, self.quant[x])
        opts = options(
            "Pool2DOptionsT",
            padding=s.Padding.SAME if same else s.Padding.VALID,
            strideH=stride[0],
            strideW=stride[1],
            filterHeight=k[0],
            filterWidth=k[1],
        )
        self.b.op(op, [x], [y], opts, version=2)
        return y

    def pad(self, x: int, hw: tuple[int, int, int, int], q: Q | None = None) -> int:
        """PAD of H and W by (top, bottom, left, right); TFLite fills with the zero point."""
        n, h, w, c = self.shapes[x]
        t, b, lft, r = hw
        pads = np.array([[0, 0], [t, b], [lft, r], [0, 0]], dtype=np.int32)
        pt = self.b.const(f"pads{self.count}", pads)
        y = self._t([n, h + t + b, w + lft + r, c], q or self.quant[x])
        self.b.op("PAD", [x, pt], [y])
        return y

    def float_input(self, shape: list[int], name: str = "xf") -> int:
        self.count += 1
        t = self.b.tensor(name, shape, "float32")
        self.shapes[t] = shape
        return t
