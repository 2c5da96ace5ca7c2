"""AVERAGE_POOL_2D over NHWC: the mean of the window's in-image elements (padding is not
counted in the divisor, as in TFLite). MACC = Hout·Wout·C·Kh·Kw.

Lowering (int8/int16): ``mcu_avgpool2d_s8`` / ``mcu_avgpool2d_s16``, TFLite's
``reference_integer_ops::AveragePool``: the raw integers are summed and divided by the number of
in-image taps, rounding half away from zero, then clamped by the fused activation."""

from __future__ import annotations

from mcuai.ir.node import Node
from mcuai.lower.elementwise import lower_pool
from mcuai.lower.program import Call
from mcuai.ops._common import Pool2DAttrs, pool_out_shape
from mcuai.ops.base import OpDef


class AvgPool2D(OpDef):
    name = "avg_pool2d"
    attrs_type = Pool2DAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        return [pool_out_shape(node.input(0).shape, node.attrs)]

    def macc(self, node: Node) -> int:
        a: Pool2DAttrs = node.attrs
        return node.output.size * a.kernel[0] * a.kernel[1]

    def lower(self, node: Node) -> list[Call]:
        calls = lower_pool(node, "avg")
        return super().lower(node) if calls is None else calls
