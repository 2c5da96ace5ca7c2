"""MAX_POOL_2D over NHWC: the largest in-image element of each window (padding never wins).
MACC = Hout·Wout·C·Kh·Kw.

Lowering (int8/int16): ``mcu_maxpool2d_s8`` / ``mcu_maxpool2d_s16``, TFLite's
``reference_integer_ops::MaxPool`` on the raw integers, clamped by the fused activation;
int8 layers with a fused PAD (``ops/pad.PaddedPool2DAttrs``) or running in place with an overlap
(``memory/overlap.py``): ``mcu_maxpool2d_inplace_s8``."""

from __future__ import annotations

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower import inplace
from mcuai.lower.context import zp_of
from mcuai.lower.conv_common import clamp_of
from mcuai.lower.elementwise import lower_pool
from mcuai.lower.program import Call
from mcuai.ops._common import Pool2DAttrs, pool_out_shape
from mcuai.ops.base import OpDef
from mcuai.ops.pad import PaddedPool2DAttrs


class MaxPool2D(OpDef):
    name = "max_pool2d"
    attrs_type = Pool2DAttrs

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        return [pool_out_shape(node.input(0).shape, node.attrs)]

    def macc(self, node: Node) -> int:
        a: Pool2DAttrs = node.attrs
        return node.output.size * a.kernel[0] * a.kernel[1]

    def lower(self, node: Node) -> list[Call]:
        fused = isinstance(node.attrs, PaddedPool2DAttrs)
        if node.output.dtype is DType.INT8 and (fused or node.alias is not None):
            # a fused PAD (ops/pad.py) or the output over its input (memory/overlap.py)
            lo, hi = clamp_of(node, node.attrs.clamp)
            pad = zp_of(node, node.input(0)) + node.attrs.pad_minus_zp if fused else -128
            return [inplace.maxpool_call(node, lo, hi, pad)]
        calls = lower_pool(node, "max")
        return super().lower(node) if calls is None else calls
