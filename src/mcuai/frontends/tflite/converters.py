"""TFLite builtin operator -> IR node, one small function per builtin.

Each converter reads the operator's options and constant inputs (shapes, axes, paddings...) into
the op's frozen attribute dataclass. Attribute-like constant inputs become attributes and are not
node inputs. Converters raise :class:`Unsupported` for valid operators mcuai cannot deploy; the
importer collects those and reports them all at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from mcuai.frontends.tflite.context import OpContext, Unsupported
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ops._common import ElementwiseAttrs, Pool2DAttrs, ResizeAttrs, same_padding
from mcuai.ops.arg_max import ArgMaxAttrs
from mcuai.ops.concat import ConcatAttrs
from mcuai.ops.conv2d import Conv2DAttrs
from mcuai.ops.depthwise_conv2d import DepthwiseConv2DAttrs
from mcuai.ops.fully_connected import FullyConnectedAttrs
from mcuai.ops.leaky_relu import LeakyReluAttrs
from mcuai.ops.mean import MeanAttrs
from mcuai.ops.pad import PadAttrs
from mcuai.ops.relu import ReluAttrs
from mcuai.ops.reshape import ReshapeAttrs
from mcuai.ops.softmax import SoftmaxAttrs
from mcuai.ops.split import SplitAttrs
from mcuai.ops.strided_slice import StridedSliceAttrs
from mcuai.ops.transpose import TransposeAttrs
from mcuai.ops.transpose_conv import TransposeConvAttrs

Converter = Callable[[OpContext], list[Node]]


def _pads_2d(
    padding: int, hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
) -> tuple[int, int, int, int]:
    """TFLite SAME/VALID padding as explicit (top, bottom, left, right)."""
    if padding == schema.Padding.VALID:
        return (0, 0, 0, 0)
    if padding != schema.Padding.SAME:
        raise Unsupported(f"padding type {padding}")
    t, b = same_padding(hw[0], k[0], s[0], d[0])
    left, r = same_padding(hw[1], k[1], s[1], d[1])
    return (t, b, left, r)


def _positive(*v: int) -> tuple[int, ...]:
    if any(int(x) <= 0 for x in v):
        raise Unsupported(f"non-positive stride, dilation or window {list(v)}")
    return tuple(int(x) for x in v)


def _axis(axis: int, rank: int) -> int:
    a = int(axis) + rank if int(axis) < 0 else int(axis)
    if not 0 <= a < max(rank, 1):
        raise Unsupported(f"axis {axis} out of range for rank {rank}")
    return a


def _rank4(cx: OpContext, i: int) -> tuple[int, int, int, int]:
    s = cx.x(i).shape
    if len(s) != 4:
        raise Unsupported(f"input {i} has rank {len(s)}, 4 expected")
    return (s[0], s[1], s[2], s[3])


def conv_2d(cx: OpContext) -> list[Node]:
    o = cx.options(schema.Conv2DOptionsT)
    _, h, w, _ = _rank4(cx, 0)
    _, kh, kw, _ = _rank4(cx, 1)
    s = _positive(o.strideH, o.strideW)
    d = _positive(o.dilationHFactor, o.dilationWFactor)
    pads = _pads_2d(o.padding, (h, w), (kh, kw), (s[0], s[1]), (d[0], d[1]))
    attrs = Conv2DAttrs((s[0], s[1]), (d[0], d[1]), pads, cx.activation(o.fusedActivationFunction))
    return [cx.node("conv2d", [cx.x(0), cx.x(1), cx.opt(2)], attrs)]


def depthwise_conv_2d(cx: OpContext) -> list[Node]:
    o = cx.options(schema.DepthwiseConv2DOptionsT)
    _, h, w, cin = _rank4(cx, 0)
    _, kh, kw, cout = _rank4(cx, 1)
    s = _positive(o.strideH, o.strideW)
    d = _positive(o.dilationHFactor, o.dilationWFactor)
    pads = _pads_2d(o.padding, (h, w), (kh, kw), (s[0], s[1]), (d[0], d[1]))
    mult = cout // cin if cin and cout % cin == 0 else 0  # the filter shape is authoritative
    attrs = DepthwiseConv2DAttrs(
        (s[0], s[1]), (d[0], d[1]), pads, mult, cx.activation(o.fusedActivationFunction)
    )
    return [cx.node("depthwise_conv2d", [cx.x(0), cx.x(1), cx.opt(2)], attrs)]


def fully_connected(cx: OpContext) -> list[Node]:
    o = cx.options(schema.FullyConnectedOptionsT)
    if o.weightsFormat != schema.FullyConnectedOptionsWeightsFormat.DEFAULT:
        raise Unsupported("shuffled weights format")
    if cx.x(1).data is None:
        raise Unsupported("non-constant weights")
    attrs = FullyConnectedAttrs(bool(o.keepNumDims), cx.activation(o.fusedActivationFunction))
    return [cx.node("fully_connected", [cx.x(0), cx.x(1), cx.opt(2)], attrs)]


def transpose_conv(cx: OpContext) -> list[Node]:
    o = cx.options(schema.TransposeConvOptionsT)
    out_shape = [int(v) for v in cx.const(0).reshape(-1)]
    if len(out_shape) != 4:
        raise Unsupported(f"output shape {out_shape} is not 4-D")
    _, kh, kw, _ = _rank4(cx, 1)
    s = _positive(o.strideH, o.strideW)
    oh, ow = out_shape[1], out_shape[2]
    # TFLite derives the padding from the *output* size, as for a conv reading the output.
    pads = _pads_2d(o.padding, (oh, ow), (kh, kw), (s[0], s[1]), (1, 1))
    attrs = TransposeConvAttrs(
        (s[0], s[1]), pads, (oh, ow), cx.activation(o.fusedActivationFunction)
    )
    return [cx.node("transpose_conv", [cx.x(2), cx.x(1), cx.opt(3)], attrs)]


def _pool(op: str) -> Converter:
    def convert(cx: OpContext) -> list[Node]:
        o = cx.options(schema.Pool2DOptionsT)
        _, h, w, _ = _rank4(cx, 0)
        k = _positive(o.filterHeight, o.filterWidth)
        s = _positive(o.strideH, o.strideW)
        pads = _pads_2d(o.padding, (h, w), (k[0], k[1]), (s[0], s[1]), (1, 1))
        attrs = Pool2DAttrs(
            (k[0], k[1]), (s[0], s[1]), pads, cx.activation(o.fusedActivationFunction)
        )
        return [cx.node(op, [cx.x(0)], attrs)]

    return convert


def _binary(op: str, options: type | None) -> Converter:
    def convert(cx: OpContext) -> list[Node]:
        attrs = None
        if options is not None:
            o = cx.options(options)
            pot = getattr(o, "potScaleInt16", None)
            attrs = ElementwiseAttrs(
                cx.activation(o.fusedActivationFunction), None, None if pot is None else bool(pot)
            )
        return [cx.node(op, [cx.x(0), cx.x(1)], attrs)]

    return convert


def _unary(op: str) -> Converter:
    def convert(cx: OpContext) -> list[Node]:
        return [cx.node(op, [cx.x(0)])]

    return convert


def _view(kind: str) -> Converter:
    def convert(cx: OpContext) -> list[Node]:
        # The output tensor's static shape is authoritative for all three ops.
        return [cx.node("reshape", [cx.x(0)], ReshapeAttrs(cx.out().shape, kind))]

    return convert


def _relu(kind: str, lo: float, hi: float) -> Converter:
    def convert(cx: OpContext) -> list[Node]:
        return [cx.node("relu", [cx.x(0)], ReluAttrs(lo, hi, kind))]

    return convert


def softmax(cx: OpContext) -> list[Node]:
    o = cx.options(schema.SoftmaxOptionsT)
    return [cx.node("softmax", [cx.x(0)], SoftmaxAttrs(float(np.float32(o.beta))))]


def leaky_relu(cx: OpContext) -> list[Node]:
    o = cx.options(schema.LeakyReluOptionsT)
    return [cx.node("leaky_relu", [cx.x(0)], LeakyReluAttrs(float(np.float32(o.alpha))))]


def prelu(cx: OpContext) -> list[Node]:
    return [cx.node("prelu", [cx.x(0), cx.x(1)])]


def concatenation(cx: OpContext) -> list[Node]:
    o = cx.options(schema.ConcatenationOptionsT)
    ins = [cx.x(i) for i in range(cx.num_inputs)]
    attrs = ConcatAttrs(_axis(o.axis, cx.out().rank), cx.activation(o.fusedActivationFunction))
    return [cx.node("concat", list(ins), attrs)]


def _pads_from(cx: OpContext, i: int, rank: int) -> tuple[tuple[int, int], ...]:
    p = cx.const(i).astype(np.int64)
    if p.shape != (rank, 2):
        raise Unsupported(f"paddings of shape {list(p.shape)} for rank {rank}")
    return tuple((int(a), int(b)) for a, b in p)


def pad(cx: OpContext) -> list[Node]:
    x = cx.x(0)
    q = cx.out().quant
    value = float(q.scalar_zero_point()) if q is not None and not q.per_axis else 0.0
    return [cx.node("pad", [x], PadAttrs(_pads_from(cx, 1, x.rank), value))]


def padv2(cx: OpContext) -> list[Node]:
    x = cx.x(0)
    v = cx.const(2).reshape(-1)
    if v.size != 1:
        raise Unsupported("pad value is not a scalar")
    return [cx.node("pad", [x], PadAttrs(_pads_from(cx, 1, x.rank), float(v[0])))]


def mean(cx: OpContext) -> list[Node]:
    o = cx.options(schema.ReducerOptionsT)
    x = cx.x(0)
    axes = tuple(sorted({_axis(int(a), x.rank) for a in cx.const(1).reshape(-1)}))
    return [cx.node("mean", [x], MeanAttrs(axes, bool(o.keepDims)))]


def transpose(cx: OpContext) -> list[Node]:
    perm = tuple(int(p) for p in cx.const(1).reshape(-1))
    return [cx.node("transpose", [cx.x(0)], TransposeAttrs(perm))]


def strided_slice(cx: OpContext) -> list[Node]:
    """Resolve TFLite masks and negative indices into plain ``range(begin, end, stride)``."""
    o = cx.options(schema.StridedSliceOptionsT)
    if o.ellipsisMask or o.newAxisMask:
        raise Unsupported("ellipsis_mask / new_axis_mask")
    x = cx.x(0)
    begin = [int(v) for v in cx.const(1).reshape(-1)]
    end = [int(v) for v in cx.const(2).reshape(-1)]
    strides = [int(v) for v in cx.const(3).reshape(-1)] if cx.num_inputs > 3 else [1] * x.rank
    if not len(begin) == len(end) == len(strides) == x.rank:
        raise Unsupported("begin/end/strides do not have one entry per axis")
    rb, re_, rs, shrink = [], [], [], []
    for ax, dim in enumerate(x.shape):
        s = strides[ax]
        if s == 0:
            raise Unsupported("stride 0")
        lo, hi = (0, dim) if s > 0 else (-1, dim - 1)
        b = begin[ax]
        if o.beginMask >> ax & 1:
            b = 0 if s > 0 else dim - 1
        else:
            b = min(max(b + dim if b < 0 else b, lo), hi)
        if o.shrinkAxisMask >> ax & 1:
            rb.append(b)
            re_.append(b + 1)
            rs.append(1)
            shrink.append(ax)
            continue
        e = end[ax] + begin[ax] if o.offset else end[ax]
        if o.endMask >> ax & 1:
            e = dim if s > 0 else -1
        else:
            e = min(max(e + dim if e < 0 else e, lo), hi)
        rb.append(b)
        re_.append(e)
        rs.append(s)
    attrs = StridedSliceAttrs(tuple(rb), tuple(re_), tuple(rs), tuple(shrink))
    return [cx.node("strided_slice", [x], attrs)]


def split(cx: OpContext) -> list[Node]:
    x = cx.x(1)
    axis = _axis(int(cx.const(0).reshape(-1)[0]), x.rank)
    n = len(cx.out_idx)
    if n == 0 or x.shape[axis] % n:
        raise Unsupported(f"cannot split an axis of {x.shape[axis]} into {n}")
    sizes = (x.shape[axis] // n,) * n
    return [cx.node("split", [x], SplitAttrs(axis, sizes), cx.outs())]


def split_v(cx: OpContext) -> list[Node]:
    x = cx.x(0)
    axis = _axis(int(cx.const(2).reshape(-1)[0]), x.rank)
    sizes = [int(v) for v in cx.const(1).reshape(-1)]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    return [cx.node("split", [x], SplitAttrs(axis, tuple(sizes)), cx.outs())]


def _resize(op: str, options: type) -> Converter:
    def convert(cx: OpContext) -> list[Node]:
        o = cx.options(options)
        size = [int(v) for v in cx.const(1).reshape(-1)]
        if len(size) != 2:
            raise Unsupported(f"resize size {size}")
        attrs = ResizeAttrs((size[0], size[1]), bool(o.alignCorners), bool(o.halfPixelCenters))
        return [cx.node(op, [cx.x(0)], attrs)]

    return convert


def arg_max(cx: OpContext) -> list[Node]:
    x = cx.x(0)
    axis = _axis(int(cx.const(1).reshape(-1)[0]), x.rank)
    if cx.out().dtype not in (DType.INT32, DType.INT64):
        raise Unsupported("ARG_MAX output must be int32 or int64")
    return [cx.node("arg_max", [x], ArgMaxAttrs(axis))]


#: The supported builtins. Anything else is reported as unsupported, all at once.
CONVERTERS: dict[str, Converter] = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "FULLY_CONNECTED": fully_connected,
    "TRANSPOSE_CONV": transpose_conv,
    "AVERAGE_POOL_2D": _pool("avg_pool2d"),
    "MAX_POOL_2D": _pool("max_pool2d"),
    "ADD": _binary("add", schema.AddOptionsT),
    "SUB": _binary("sub", schema.SubOptionsT),
    "MUL": _binary("mul", schema.MulOptionsT),
    "MAXIMUM": _binary("maximum", None),
    "MINIMUM": _binary("minimum", None),
    "RESHAPE": _view("reshape"),
    "SQUEEZE": _view("squeeze"),
    "EXPAND_DIMS": _view("expand_dims"),
    "SOFTMAX": softmax,
    "LOGISTIC": _unary("logistic"),
    "TANH": _unary("tanh"),
    "HARD_SWISH": _unary("hard_swish"),
    "RELU": _relu("relu", 0.0, float("inf")),
    "RELU6": _relu("relu6", 0.0, 6.0),
    "RELU_N1_TO_1": _relu("relu_n1_to_1", -1.0, 1.0),
    "LEAKY_RELU": leaky_relu,
    "PRELU": prelu,
    "CONCATENATION": concatenation,
    "PAD": pad,
    "PADV2": padv2,
    "MEAN": mean,
    "QUANTIZE": _unary("quantize"),
    "DEQUANTIZE": _unary("dequantize"),
    "TRANSPOSE": transpose,
    "STRIDED_SLICE": strided_slice,
    "SPLIT": split,
    "SPLIT_V": split_v,
    "RESIZE_NEAREST_NEIGHBOR": _resize("resize_nearest", schema.ResizeNearestNeighborOptionsT),
    "RESIZE_BILINEAR": _resize("resize_bilinear", schema.ResizeBilinearOptionsT),
    "ARG_MAX": arg_max,
}
