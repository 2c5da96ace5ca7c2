"""LAYER_NORM (ONNX LayerNormalization, opset 17): normalise over the trailing axes
``axis .. rank-1``: ``y = (x - mean) / sqrt(var + epsilon) * scale + bias`` with the mean and
the (biased) variance of those axes; ``scale`` and the optional ``bias`` broadcast to
``x.shape[axis:]``.

MACC = 5 per element (mean, centre, variance, normalise, scale and shift).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops._common import broadcast_shapes
from mcuai.ops.base import OpDef


@dataclass(frozen=True)
class LayerNormAttrs:
    axis: int  # normalised to 0..rank-1: the first normalised axis
    epsilon: float = 1e-5


class LayerNorm(OpDef):
    name = "layer_norm"
    attrs_type = LayerNormAttrs
    min_inputs = 2
    max_inputs = 3

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: LayerNormAttrs = node.attrs
        x = node.input(0).shape
        if not 0 <= a.axis < len(x):
            raise ValueError(f"axis {a.axis} out of range for rank {len(x)}")
        tail = x[a.axis :]
        for i in (1, 2):
            t = node.opt_input(i)
            if t is not None and broadcast_shapes(tail, t.shape) != tail:
                raise ValueError(
                    f"{list(t.shape)} does not broadcast to the normalised {list(tail)}"
                )
        return [x]

    def macc(self, node: Node) -> int:
        return 5 * node.output.size
