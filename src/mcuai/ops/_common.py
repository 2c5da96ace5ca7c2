"""Helpers shared by several ops: activations, padding and broadcasting rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mcuai.ir.node import Node
from mcuai.ops.base import OpDef


class Activation(enum.Enum):
    """A fused activation as the source model states it."""

    NONE = "none"
    RELU = "relu"
    RELU6 = "relu6"
    RELU_N1_TO_1 = "relu_n1_to_1"

    def real_range(self) -> tuple[float, float]:
        """The activation as a clamp on real values."""
        inf = float("inf")
        return {
            Activation.NONE: (-inf, inf),
            Activation.RELU: (0.0, inf),
            Activation.RELU6: (0.0, 6.0),
            Activation.RELU_N1_TO_1: (-1.0, 1.0),
        }[self]


@dataclass(frozen=True)
class Clamp:
    """Output clamp applied by a kernel: integers for quantized outputs, reals for float ones.

    Produced by the ``fuse_activations`` pass from :class:`Activation` and the output's
    quantization parameters (TFLite's ``CalculateActivationRangeQuantized``).
    """

    lo: float
    hi: float


def conv_out_size(size: int, kernel: int, stride: int, dilation: int, pad_total: int) -> int:
    """Output length of a convolution/pool along one axis with explicit total padding."""
    eff = (kernel - 1) * dilation + 1
    if stride <= 0 or dilation <= 0 or kernel <= 0:
        raise ValueError("stride, dilation and kernel must be positive")
    out = (size + pad_total - eff) // stride + 1
    if out <= 0:
        raise ValueError(f"window {eff} does not fit an axis of {size} (+{pad_total} padding)")
    return out


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TFLite/TensorFlow SAME padding: output = ceil(size/stride); the odd pixel goes after."""
    eff = (kernel - 1) * dilation + 1
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def broadcast_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """Numpy broadcasting of two shapes; raises ValueError when incompatible."""
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + a
    pb = (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(pa, pb, strict=True):
        if x != y and 1 not in (x, y):
            raise ValueError(f"shapes {list(a)} and {list(b)} do not broadcast")
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(out)


def input_shape(node: Node, i: int = 0) -> tuple[int, ...]:
    return node.input(i).shape


def require_rank(shape: tuple[int, ...], rank: int, what: str) -> None:
    if len(shape) != rank:
        raise ValueError(f"{what} must have rank {rank}, has shape {list(shape)}")


@dataclass(frozen=True)
class Pool2DAttrs:
    """2-D pooling window over NHWC data. ``pads`` = (top, bottom, left, right)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[int, int, int, int]
    act: Activation = Activation.NONE
    clamp: Clamp | None = None


@dataclass(frozen=True)
class ElementwiseAttrs:
    """Attributes of ADD/SUB/MUL: the fused activation and, for int16 ADD/SUB, TFLite's
    ``pot_scale_int16`` option (``None`` when the source does not say)."""

    act: Activation = Activation.NONE
    clamp: Clamp | None = None
    pot_scale_int16: bool | None = None


@dataclass(frozen=True)
class ResizeAttrs:
    """2-D resize of NHWC data to ``size`` = (height, width)."""

    size: tuple[int, int]
    align_corners: bool = False
    half_pixel_centers: bool = False


def pool_out_shape(x: tuple[int, ...], a: Pool2DAttrs) -> tuple[int, ...]:
    require_rank(x, 4, "pool input")
    n, h, w, c = x
    ho = conv_out_size(h, a.kernel[0], a.stride[0], 1, a.pads[0] + a.pads[1])
    wo = conv_out_size(w, a.kernel[1], a.stride[1], 1, a.pads[2] + a.pads[3])
    return (n, ho, wo, c)


class UnaryOp(OpDef):
    """Element-wise op with one tensor input and an output of the same shape.
    Cost: one operation per output element (counted as MACC)."""

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        return [node.input(0).shape]

    def macc(self, node: Node) -> int:
        return node.output.size


class BinaryOp(OpDef):
    """Element-wise op of two inputs with numpy broadcasting.
    Cost: one operation per output element (counted as MACC)."""

    min_inputs = 2
    max_inputs = 2

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        return [broadcast_shapes(node.input(0).shape, node.input(1).shape)]

    def macc(self, node: Node) -> int:
        return node.output.size
