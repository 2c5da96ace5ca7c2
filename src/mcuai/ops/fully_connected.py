"""FULLY_CONNECTED: ``y[b, o] = bias[o] + sum_i x[b, i] * w[o, i]`` with weights ``[Nout, Nin]``.

The input is viewed as ``[batch, Nin]`` with ``batch = size(x) / Nin``. With ``keep_num_dims`` the
output keeps the input's leading dimensions (``x.shape[:-1] + [Nout]``), else it is
``[batch, Nout]``.

MACC = batch·Nout·Nin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import Activation, Clamp, require_rank
from mcuai.ops.base import WeightedOp


@dataclass(frozen=True)
class FullyConnectedAttrs:
    keep_num_dims: bool = False
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


class FullyConnected(WeightedOp):
    name = "fully_connected"
    attrs_type = FullyConnectedAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: FullyConnectedAttrs = node.attrs
        x, w = node.input(0).shape, node.input(1).shape
        require_rank(w, 2, "weights")
        nout, nin = w
        size = math.prod(x)
        if nin <= 0 or size % nin:
            raise ValueError(f"input of {size} elements is not a multiple of {nin} features")
        b = node.opt_input(2)
        if b is not None and b.size != nout:
            raise ValueError(f"bias has {b.size} elements for {nout} outputs")
        if a.keep_num_dims:
            if not x or x[-1] != nin:
                raise ValueError(f"keep_num_dims needs last input dim {nin}, input {list(x)}")
            return [(*x[:-1], nout)]
        return [(size // nin, nout)]

    def macc(self, node: Node) -> int:
        nout, nin = node.input(1).shape
        return (node.input(0).size // nin) * nout * nin
