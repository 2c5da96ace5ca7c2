"""The op registry: one op per file, listed here explicitly (never discovered by scanning).

Each op is an :class:`~mcuai.ops.base.OpDef` holding its attribute dataclass, verification,
shape inference and cost formulas. Frontends map source ops onto these; passes and backends look
ops up by name with :func:`get_op`.
"""

from __future__ import annotations

from mcuai.ops.add import Add
from mcuai.ops.arg_max import ArgMax
from mcuai.ops.avg_pool2d import AvgPool2D
from mcuai.ops.base import OpDef
from mcuai.ops.batch_matmul import BatchMatMul
from mcuai.ops.concat import Concat
from mcuai.ops.conv2d import Conv2D
from mcuai.ops.depthwise_conv2d import DepthwiseConv2D
from mcuai.ops.dequantize import Dequantize
from mcuai.ops.div import Div
from mcuai.ops.erf import Erf
from mcuai.ops.fully_connected import FullyConnected
from mcuai.ops.gelu import Gelu
from mcuai.ops.hard_sigmoid import HardSigmoid
from mcuai.ops.hard_swish import HardSwish
from mcuai.ops.layer_norm import LayerNorm
from mcuai.ops.leaky_relu import LeakyRelu
from mcuai.ops.logistic import Logistic
from mcuai.ops.max_pool2d import MaxPool2D
from mcuai.ops.maximum import Maximum
from mcuai.ops.mean import Mean
from mcuai.ops.minimum import Minimum
from mcuai.ops.mul import Mul
from mcuai.ops.pad import Pad
from mcuai.ops.prelu import PRelu
from mcuai.ops.quantize import Quantize
from mcuai.ops.relu import Relu
from mcuai.ops.reshape import Reshape
from mcuai.ops.resize_bilinear import ResizeBilinear
from mcuai.ops.resize_nearest import ResizeNearest
from mcuai.ops.softmax import Softmax
from mcuai.ops.split import Split
from mcuai.ops.strided_slice import StridedSlice
from mcuai.ops.sub import Sub
from mcuai.ops.tanh import Tanh
from mcuai.ops.transpose import Transpose
from mcuai.ops.transpose_conv import TransposeConv

_OPS: dict[str, OpDef] = {
    op.name: op
    for op in (
        Add(),
        ArgMax(),
        AvgPool2D(),
        BatchMatMul(),
        Concat(),
        Conv2D(),
        DepthwiseConv2D(),
        Dequantize(),
        Div(),
        Erf(),
        FullyConnected(),
        Gelu(),
        HardSigmoid(),
        HardSwish(),
        LayerNorm(),
        LeakyRelu(),
        Logistic(),
        MaxPool2D(),
        Maximum(),
        Mean(),
        Minimum(),
        Mul(),
        Pad(),
        PRelu(),
        Quantize(),
        Relu(),
        Reshape(),
        ResizeBilinear(),
        ResizeNearest(),
        Softmax(),
        Split(),
        StridedSlice(),
        Sub(),
        Tanh(),
        Transpose(),
        TransposeConv(),
    )
}


def get_op(name: str) -> OpDef:
    """The op called ``name``; raises KeyError for unknown ops."""
    return _OPS[name]


def all_ops() -> list[str]:
    """Names of every registered op, sorted."""
    return sorted(_OPS)
