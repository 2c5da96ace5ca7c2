"""RESIZE_BILINEAR of NHWC data to ``size``. Cost: 4 MACC per output element."""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.ops._common import ResizeAttrs, require_rank
from mcuai.ops.base import OpDef


class ResizeBilinear(OpDef):
    name = "resize_bilinear"
    attrs_type = ResizeAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        a: ResizeAttrs = node.attrs
        x = node.input(0).shape
        require_rank(x, 4, "input")
        if min(a.size) <= 0:
            raise ValueError(f"resize to {list(a.size)}")
        return [(x[0], a.size[0], a.size[1], x[3])]

    def macc(self, node: Node) -> int:
        return 4 * node.output.size
