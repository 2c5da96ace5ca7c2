"""ONNX operator -> IR node(s), one function per operator (default domain).

Converters are written once for every plan: :meth:`Cx.data` gives the integer value in a QDQ
group and the value itself otherwise, :meth:`Cx.weight` gives integer weights with their
parameters or real float32 weights, and :meth:`Cx.emit` types the outputs. Spatial ops read and
write NHWC (``layout.NHWC``); filters are transposed at import (OIHW -> OHWI, depthwise
``[Cout,1,Kh,Kw]`` -> ``[1,Kh,Kw,Cout]``, Gemm/MatMul weights -> ``[Nout, Nin]``) and per-channel
quantization axes move with them. Layout-agnostic ops keep their input's layout and map axes.
The core functions (``conv_core``, ``fc_core``, ...) are shared with the QOperator converters.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from mcuai.frontends.onnx.builder import (
    Builder,
    ConstIn,
    Invalid,
    Unsupported,
    Val,
    dequantize_array,
)
from mcuai.frontends.onnx.context import Cx, activation_of, clip_bounds
from mcuai.frontends.onnx.layout import NHWC, Perm, drop_axes, identity
from mcuai.frontends.onnx.qdq import ALL_INPUTS, Rule
from mcuai.frontends.onnx.reader import OnnxNode
from mcuai.ir.dtypes import DType
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.ops._common import Activation, ElementwiseAttrs, Pool2DAttrs, ResizeAttrs
from mcuai.ops.arg_max import ArgMaxAttrs
from mcuai.ops.concat import ConcatAttrs
from mcuai.ops.conv2d import Conv2DAttrs
from mcuai.ops.depthwise_conv2d import DepthwiseConv2DAttrs
from mcuai.ops.fully_connected import FullyConnectedAttrs
from mcuai.ops.gelu import GeluAttrs
from mcuai.ops.hard_sigmoid import HardSigmoidAttrs
from mcuai.ops.layer_norm import LayerNormAttrs
from mcuai.ops.leaky_relu import LeakyReluAttrs
from mcuai.ops.mean import MeanAttrs
from mcuai.ops.pad import PadAttrs
from mcuai.ops.relu import ReluAttrs
from mcuai.ops.reshape import ReshapeAttrs
from mcuai.ops.resize_nearest import nearest_index
from mcuai.ops.softmax import SoftmaxAttrs
from mcuai.ops.split import SplitAttrs
from mcuai.ops.strided_slice import StridedSliceAttrs
from mcuai.ops.transpose import TransposeAttrs
from mcuai.ops.transpose_conv import TransposeConvAttrs

I32 = np.iinfo(np.int32)
NLC: Perm = (0, 2, 1)  # 1-D (NCL) data held channel-last


def _axis(axis: int, rank: int) -> int:
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < max(rank, 1):
        raise Invalid(f"axis {axis} out of range for rank {rank}")
    return a


def _pair(cx: Cx, key: str, default: int = 1) -> tuple[int, int]:
    v = cx.ints(key, [default, default])
    assert v is not None
    if len(v) != 2:
        raise Unsupported(f"{key} {v}: only 2-D windows are supported")
    if min(v) <= 0:
        raise Invalid(f"non-positive {key} {v}")
    return (v[0], v[1])


def _rank4(v: Val, what: str) -> None:
    if v.rank != 4:
        raise Unsupported(f"{what} on a rank-{v.rank} tensor (only 2-D, rank-4 NCHW data)")


def window_pads(
    cx: Cx, hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
) -> tuple[int, int, int, int]:
    """ONNX ``pads``/``auto_pad`` as IR (top, bottom, left, right)."""
    auto = cx.s("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        p = cx.ints("pads", [0, 0, 0, 0])
        assert p is not None
        if len(p) != 4:
            raise Invalid(f"pads {p} for a 2-D window")
        if min(p) < 0:
            raise Unsupported(f"negative pads {p}")
        return (p[0], p[2], p[1], p[3])
    if auto == "VALID":
        return (0, 0, 0, 0)
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise Invalid(f"auto_pad '{auto}'")
    out: list[int] = []
    for size, kk, ss, dd in zip(hw, k, s, d, strict=True):
        eff = (kk - 1) * dd + 1
        total = max((-(-size // ss) - 1) * ss + eff - size, 0)
        small, big = total // 2, total - total // 2
        out.extend((small, big) if auto == "SAME_UPPER" else (big, small))
    return (out[0], out[1], out[2], out[3])


# ---- weights and bias --------------------------------------------------------------------
def _fold_bn(cx: Cx, w: ConstIn, b: ConstIn | None, axis: int) -> tuple[ConstIn, ConstIn]:
    """Fold the plan's BatchNormalization into float weights (output channels on ``axis``)."""
    bn = cx.plan.bn
    assert bn is not None
    vals = [cx.b.float_data(cx.b.get(x)).astype(np.float32).reshape(-1) for x in bn.inputs[1:5]]
    gamma, beta, mean, var = vals
    eps = np.float32(bn.attr("epsilon", 1e-5))
    k = gamma / np.sqrt(var + eps)
    shape = [1] * w.data.ndim
    shape[axis] = k.size
    wd = (w.data.astype(np.float32) * k.reshape(shape)).astype(np.float32)
    bias = np.zeros(k.size, np.float32) if b is None else b.data.astype(np.float32).reshape(-1)
    bd = ((bias - mean) * k + beta).astype(np.float32)
    return ConstIn(w.name, wd, None), ConstIn(f"{w.name}_bias", bd, None)


def bias_tensor(
    cx: Cx, b: ConstIn | None, x: Tensor, wq: QuantParams | None, cout: int
) -> Tensor | None:
    """IR bias ``[cout]``: int32 with ``s_x * s_w`` in integer plans (a float bias is quantized
    to it), float32 otherwise. ONNX Runtime adds a quantized bias's int32 values as they are;
    a bias stated with other parameters is kept and reported."""
    if b is None:
        return None
    if b.data.size not in (1, cout):
        raise Invalid(f"bias '{b.name}' has {b.data.size} elements for {cout} output channels")
    data = np.broadcast_to(b.data.reshape(-1), (cout,))
    real = np.broadcast_to((b.data if b.quant is None else _real(b)).reshape(-1), (cout,))
    xq = x.quant
    if xq is None or not x.dtype.is_integer:
        return cx.b.const_tensor(b.name, real.astype(np.float32), DType.FLOAT32, None)
    if wq is None or xq.per_axis:
        raise Unsupported("integer convolution needs quantized weights and a per-tensor input")
    expected = (np.float32(xq.scalar_scale()) * wq.scale).astype(np.float32)
    if b.quant is not None and b.data.dtype == np.int32:
        q = b.quant
        scale = np.broadcast_to(q.scale.reshape(-1), (cout,)) if q.per_axis else q.scale
        zp = np.broadcast_to(q.zero_point.reshape(-1), (cout,)) if q.per_axis else q.zero_point
        if not np.allclose(scale, expected, rtol=1e-5, atol=0) or np.any(zp != 0):
            cx.b.warnings.append(
                f"'{cx.origin}': bias '{b.name}' is quantized with other parameters than "
                "input scale * weight scale (zero point 0); its int32 values are used as they "
                "are, as ONNX Runtime does"
            )
        bq = QuantParams(scale, zp, 0) if np.ndim(scale) == 1 else QuantParams(scale, zp)
        return cx.b.const_tensor(b.name, data.astype(np.int32), DType.INT32, bq)
    q32 = np.clip(np.rint(real.astype(np.float64) / expected), I32.min, I32.max).astype(np.int32)
    cx.b.warnings.append(
        f"'{cx.origin}': float bias '{b.name}' quantized to int32 with input scale * weight scale"
    )
    bq = QuantParams(expected, np.zeros(expected.shape, np.int64), 0 if expected.ndim else None)
    return cx.b.const_tensor(b.name, q32, DType.INT32, bq)


def _real(c: ConstIn) -> np.ndarray:
    assert c.quant is not None
    return dequantize_array(c.data, c.quant).reshape(-1)


def _quantized_weights(cx: Cx, w: ConstIn, x: Tensor) -> None:
    if x.dtype.is_integer and w.quant is None:
        raise Unsupported(f"integer input with float weights '{w.name}'")
    if not x.dtype.is_integer and w.quant is not None:
        raise Unsupported(f"float input with integer weights '{w.name}'")


# ---- convolutions ------------------------------------------------------------------------
def _one_d(cx: Cx, x: Val) -> tuple[Cx, Tensor]:
    """A 1-D window op (NCL data) as a 2-D one over ``[N, C, 1, L]``: a context whose window
    attributes are 2-D and the input as NHWC ``[N, 1, L, C]`` (a view of the NLC tensor)."""
    a = dict(cx.n.attrs)
    for key in ("kernel_shape", "strides", "dilations"):
        if key in a:
            a[key] = [1, *list(a[key])]
    if "pads" in a:
        p = list(a["pads"])
        if len(p) != 2:
            raise Invalid(f"pads {p} for a 1-D window")
        a["pads"] = [0, p[0], 0, p[1]]
    cx2 = Cx(cx.b, dataclasses.replace(cx.n, attrs=a), cx.plan)
    t = cx.tensor(x, NLC)
    n, length, c = t.shape
    return cx2, cx.node("reshape", [t], ReshapeAttrs((n, 1, length, c), "expand_dims"), NHWC, t)


def _back_to_1d(cx: Cx, y: Tensor) -> None:
    """Bind the 2-D result ``[N, 1, L, C]`` of a 1-D op as its NCL output (a view)."""
    n, _, length, c = y.shape
    cx.emit("reshape", [y], ReshapeAttrs((n, length, c), "squeeze"), NLC, like=y)


def conv_core(cx: Cx, x: Val, w: ConstIn, b: ConstIn | None) -> None:
    """Conv / QLinearConv / ConvInteger (2-D NCHW with filters OIHW, or 1-D NCL)."""
    if x.rank == 3 and w.data.ndim == 3:
        cx2, xt = _one_d(cx, x)
        op, ins, attrs = _conv_node(cx2, xt, ConstIn(w.name, w.data[:, :, None, :], w.quant), b)
        _back_to_1d(cx2, cx2.node(op, ins, attrs, NHWC))
        return
    _rank4(x, "convolution")
    if w.data.ndim != 4:
        raise Invalid(f"filter '{w.name}' has rank {w.data.ndim}, 4 expected")
    op, ins, attrs = _conv_node(cx, cx.tensor(x, NHWC), w, b)
    cx.emit(op, ins, attrs, NHWC)


def _conv_node(
    cx: Cx, xt: Tensor, w: ConstIn, b: ConstIn | None
) -> tuple[str, list[Tensor | None], object]:
    """The IR conv2d/depthwise_conv2d of an NHWC input: (op, inputs, attributes)."""
    if cx.plan.bn is not None:
        w, b = _fold_bn(cx, w, b, 0)
    _quantized_weights(cx, w, xt)
    _, h, wd, cin = xt.shape
    cout, cin_g, kh, kw = (int(d) for d in w.data.shape)
    ks = cx.ints("kernel_shape")
    if ks is not None and tuple(ks) != (kh, kw):
        raise Invalid(f"kernel_shape {ks} does not match the filter {list(w.data.shape)}")
    s, d = _pair(cx, "strides"), _pair(cx, "dilations")
    pads = window_pads(cx, (h, wd), (kh, kw), s, d)
    group = cx.i("group", 1)
    if group <= 0 or cin_g * group != cin or cout % group:
        raise Invalid(f"group {group} with {cin} input channels and filter {list(w.data.shape)}")
    act = cx.take_act()
    if group > 1 and group == cin and cin_g == 1:
        wt = cx.const_tensor(w, (1, 2, 3, 0))  # [Cout,1,Kh,Kw] -> [1,Kh,Kw,Cout]
        attrs: object = DepthwiseConv2DAttrs(s, d, pads, cout // cin, act)
        op = "depthwise_conv2d"
    else:
        wt = cx.const_tensor(w, (0, 2, 3, 1))  # OIHW -> OHWI
        attrs = Conv2DAttrs(s, d, pads, act)
        op = "conv2d"
    return op, [xt, wt, bias_tensor(cx, b, xt, w.quant, cout)], attrs


def conv(cx: Cx) -> None:
    conv_core(cx, cx.data(0), cx.weight(1), cx.weight(2) if cx.has(2) else None)


def conv_transpose(cx: Cx) -> None:
    x = cx.data(0)
    _rank4(x, "ConvTranspose")
    w = cx.weight(1)
    b = cx.weight(2) if cx.has(2) else None
    if w.data.ndim != 4:
        raise Invalid(f"filter '{w.name}' has rank {w.data.ndim}, 4 expected")
    if cx.i("group", 1) != 1:
        raise Unsupported("grouped ConvTranspose")
    if _pair(cx, "dilations") != (1, 1):
        raise Unsupported("dilated ConvTranspose")
    if w.quant is not None and w.quant.per_axis and w.quant.axis != 1:
        raise Unsupported("ConvTranspose weights quantized per input channel")
    if cx.plan.bn is not None:
        w, b = _fold_bn(cx, w, b, 1)
    xt = cx.tensor(x, NHWC)
    _quantized_weights(cx, w, xt)
    _, h, wd, cin = xt.shape
    wcin, cout, kh, kw = (int(v) for v in w.data.shape)
    if wcin != cin:
        raise Invalid(f"filter {list(w.data.shape)} for {cin} input channels")
    s = _pair(cx, "strides")
    op_ = cx.ints("output_padding", [0, 0]) or [0, 0]
    out_shape = cx.ints("output_shape")
    auto = cx.s("auto_pad", "NOTSET")
    pads: list[int] = []
    out_hw: list[int] = []
    for i, (size, k, st) in enumerate(zip((h, wd), (kh, kw), s, strict=True)):
        if out_shape is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
            o = out_shape[-2 + i] if out_shape is not None else size * st
            total = st * (size - 1) + op_[i] + k - o
            if total < 0:
                raise Unsupported("ConvTranspose output larger than its full extent")
            first = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads.extend((first, total - first))
            out_hw.append(o)
        else:
            p = cx.ints("pads", [0, 0, 0, 0]) or [0, 0, 0, 0]
            if auto == "VALID":
                p = [0, 0, 0, 0]
            pads.extend((p[i], p[i + 2]))
            out_hw.append(st * (size - 1) + op_[i] + k - p[i] - p[i + 2])
    wt = cx.const_tensor(w, (1, 2, 3, 0))  # [Cin,Cout,Kh,Kw] -> [Cout,Kh,Kw,Cin]
    bt = bias_tensor(cx, b, xt, wt.quant, cout)
    attrs = TransposeConvAttrs(
        s, (pads[0], pads[1], pads[2], pads[3]), (out_hw[0], out_hw[1]), cx.take_act()
    )
    cx.emit("transpose_conv", [xt, wt, bt], attrs, NHWC)


# ---- fully connected / matmul ------------------------------------------------------------
def fc_core(
    cx: Cx,
    a: Val,
    w: ConstIn,
    b: ConstIn | None,
    trans_a: bool,
    w_is_nk: bool,
    alpha: float = 1.0,
    beta: float = 1.0,
    keep_num_dims: bool = False,
) -> None:
    """``y = alpha * a @ W + beta * b`` with constant 2-D weights (``[N,K]`` when
    ``w_is_nk``, else ``[K,N]``)."""
    if w.data.ndim != 2:
        raise Unsupported(f"weights '{w.name}' of rank {w.data.ndim} (2-D expected)")
    if trans_a:
        if a.rank != 2:
            raise Invalid("transA needs a 2-D input")
        at = cx.tensor(a, (1, 0))
    else:
        at = cx.tensor(a, identity(a.rank))
    if cx.plan.bn is not None:
        w, b = _fold_bn(cx, w, b, 0 if w_is_nk else 1)
    _quantized_weights(cx, w, at)
    if alpha != 1.0:
        if w.quant is None:
            w = ConstIn(w.name, (w.data * np.float32(alpha)).astype(np.float32), None)
        else:
            q = w.quant
            w = ConstIn(
                w.name, w.data, QuantParams(q.scale * np.float32(alpha), q.zero_point, q.axis)
            )
    if b is not None and beta != 1.0:
        if b.quant is None:
            b = ConstIn(b.name, (b.data * np.float32(beta)).astype(np.float32), None)
        else:
            q = b.quant
            b = ConstIn(
                b.name, b.data, QuantParams(q.scale * np.float32(beta), q.zero_point, q.axis)
            )
    wt = cx.const_tensor(w, None if w_is_nk else (1, 0))
    nout, nin = wt.shape
    if at.rank == 0 or at.shape[-1] != nin:
        raise Invalid(f"input {list(at.shape)} does not match weights of {nin} features")
    if b is not None and b.data.size not in (1, nout):
        raise Unsupported(f"Gemm bias of shape {list(b.data.shape)} (only per-output biases)")
    bt = bias_tensor(cx, b, at, wt.quant, nout)
    attrs = FullyConnectedAttrs(keep_num_dims, cx.take_act())
    out_rank = at.rank if keep_num_dims else 2
    cx.emit("fully_connected", [at, wt, bt], attrs, identity(out_rank))


def batch_matmul_core(cx: Cx, a: Val, b: Val | ConstIn) -> None:
    """``y = a @ b`` with a non-constant (or batched) second operand."""
    if a.rank < 2:
        raise Unsupported("MatMul of a 1-D activation with a non-constant operand")
    at = cx.tensor(a, identity(a.rank))
    if isinstance(b, ConstIn):
        if b.data.ndim < 2:
            raise Unsupported("MatMul with a 1-D second operand")
        if b.quant is not None and b.quant.per_axis:
            raise Unsupported("per-axis quantized second operand of a batched MatMul")
        bt = cx.const_tensor(b)
    else:
        if b.rank < 2:
            raise Unsupported("MatMul with a 1-D second operand")
        bt = cx.tensor(b, identity(b.rank))
    rank = max(at.rank, bt.rank)
    cx.emit("batch_matmul", [at, bt], None, identity(rank))


def gemm(cx: Cx) -> None:
    a = cx.data(0)
    if a.rank != 2:
        raise Invalid(f"Gemm input of rank {a.rank}")
    ta, tb = bool(cx.i("transA", 0)), bool(cx.i("transB", 0))
    alpha, beta = cx.f("alpha", 1.0), cx.f("beta", 1.0)
    c = cx.weight(2) if cx.has(2) else None
    if c is not None and c.data.size > 1 and c.data.ndim == 2 and c.data.shape[0] > 1:
        raise Unsupported(f"Gemm bias of shape {list(c.data.shape)} (only per-output biases)")
    bval = cx.val(1)
    if not cx.b.const_like(bval):
        if c is not None or alpha != 1.0:
            raise Unsupported("Gemm with a non-constant B and a bias or alpha")
        bv = cx.data(1)
        if tb:
            bv = cx.b.view_of(bv, (1, 0))
        if ta:
            a = cx.b.view_of(a, (1, 0))
        batch_matmul_core(cx, a, bv)
        return
    fc_core(cx, a, cx.weight(1), c, ta, tb, alpha, beta)


def matmul(cx: Cx) -> None:
    a = cx.data(0)
    bval = cx.val(1)
    if cx.b.const_like(bval) and bval.rank == 2:
        w = cx.weight(1)
        fc_core(cx, a, w, None, False, False, keep_num_dims=True)
        return
    batch_matmul_core(cx, a, cx.weight(1) if cx.b.const_like(bval) else cx.data(1))


# ---- element-wise ------------------------------------------------------------------------
def binary_core(cx: Cx, op: str, vals: list[Val]) -> None:
    rank = max(v.rank for v in vals)
    perm = cx.common_perm(vals, rank)
    ts = [cx.bcast(v, rank, perm) for v in vals]
    attrs: object = None
    if op in ("add", "sub", "mul"):
        attrs = ElementwiseAttrs(cx.take_act())
    cx.emit(op, list(ts), attrs, perm)


def _binary(op: str) -> Rule:
    def convert(cx: Cx) -> None:
        binary_core(cx, op, [cx.data(0), cx.data(1)])

    return Rule(convert, qdq=(0, 1) if op != "div" else None, act=op in ("add", "sub", "mul"))


def _variadic(op: str) -> Rule:
    def convert(cx: Cx) -> None:
        vals = [cx.data(i) for i in range(len(cx.n.inputs)) if cx.has(i)]
        if len(vals) == 1:
            _identity_view(cx, vals[0])
            return
        if len(vals) != 2:
            raise Unsupported(f"{cx.n.op} of {len(vals)} inputs (at most 2)")
        binary_core(cx, op, vals)

    return Rule(convert, qdq=ALL_INPUTS)


def prelu(cx: Cx) -> None:
    x, slope = cx.data(0), cx.data(1)
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    st = cx.bcast(slope, x.rank, perm)
    cx.emit("prelu", [xt, st], None, perm)


def unary_core(cx: Cx, op: str, x: Val, attrs: object = None) -> None:
    perm = cx.pref(x)
    cx.emit(op, [cx.tensor(x, perm)], attrs, perm)


def _unary(op: str, attrs_of: Callable[[Cx], object] | None = None, qdq: bool = True) -> Rule:
    def convert(cx: Cx) -> None:
        attrs = attrs_of(cx) if attrs_of is not None else None
        unary_core(cx, op, cx.data(0), attrs)

    return Rule(convert, qdq=(0,) if qdq else None)


def relu(cx: Cx) -> None:
    unary_core(cx, "relu", cx.data(0), ReluAttrs(0.0, float("inf"), "relu"))


def clip(cx: Cx) -> None:
    bounds = clip_bounds(cx.b, cx.n)
    if bounds is None:
        raise Unsupported("Clip with non-constant bounds")
    lo, hi = bounds
    if (lo, hi) == (-float("inf"), float("inf")):
        _identity_view(cx, cx.data(0))
        return
    kind = {Activation.RELU: "relu", Activation.RELU6: "relu6"}.get(
        activation_of(lo, hi) or Activation.NONE, "clip"
    )
    unary_core(cx, "relu", cx.data(0), ReluAttrs(lo, hi, kind))


def softmax_core(cx: Cx, x: Val, axis_attr: int | None, opset: int) -> None:
    r = x.rank
    default = -1 if opset >= 13 else 1
    axis = _axis(default if axis_attr is None else axis_attr, r)
    attrs = SoftmaxAttrs(1.0)
    if opset < 13:
        big = [a for a in range(axis, r) if x.shape[a] != 1]
        if len(big) > 1:
            xt = cx.tensor(x, identity(r))
            flat = (math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))
            t = cx.node("reshape", [xt], ReshapeAttrs(flat, "flatten"), identity(2), like=xt)
            y = cx.node("softmax", [t], attrs, identity(2))
            cx.emit("reshape", [y], ReshapeAttrs(x.shape, "reshape"), identity(r), like=y)
            return
        axis = big[0] if big else r - 1
    perm = cx.pref(x)
    if perm[-1] != axis:
        perm = (*(p for p in perm if p != axis), axis)
    cx.emit("softmax", [cx.tensor(x, perm)], attrs, perm)


def softmax(cx: Cx) -> None:
    softmax_core(cx, cx.data(0), cx.n.attr("axis"), cx.opset)


# ---- pooling -----------------------------------------------------------------------------
def pool_core(
    cx: Cx, x: Val, kind: str, channels_last: bool = False, full_divisor: bool = False
) -> None:
    """AveragePool / MaxPool (and their QLinear forms) over 2-D (or 1-D) windows.

    With ``count_include_pad`` the divisor counts the explicit padding (ONNX Runtime's
    AveragePool: windows clipped to the padded image) or, with ``full_divisor`` (its
    QLinearAveragePool), always the whole window, ceil-mode extension included."""
    if kind == "max" and len(cx.plan.targets) > 1 and cx.plan.targets[1] is not None:
        raise Unsupported("MaxPool indices output")
    if x.rank == 3 and not channels_last:
        cx2, xt = _one_d(cx, x)
        op, xt, attrs = _pool_node(cx2, xt, kind, NHWC, full_divisor)
        y = cx2.node(op, [xt], attrs, NHWC, like=xt if kind == "max" else None)
        _back_to_1d(cx2, y)
        return
    _rank4(x, "pooling")
    perm = identity(4) if channels_last else NHWC
    op, xt, attrs = _pool_node(cx, cx.tensor(x, perm), kind, perm, full_divisor)
    cx.emit(op, [xt], attrs, perm, like=xt if kind == "max" else None)


def _pool_node(
    cx: Cx, xt: Tensor, kind: str, perm: Perm, full_divisor: bool
) -> tuple[str, Tensor, Pool2DAttrs]:
    """(op, input, attributes) of a pool over the NHWC tensor ``xt`` (an explicit ``pad``
    node first when padding counts in the average)."""
    _, h, w, _ = xt.shape
    ks = cx.ints("kernel_shape")
    if ks is None or len(ks) != 2:
        raise Unsupported(f"pooling window {ks} (2-D windows only)")
    k = (ks[0], ks[1])
    s = _pair(cx, "strides")
    if _pair(cx, "dilations") != (1, 1):
        raise Unsupported("dilated pooling")
    pads = list(window_pads(cx, (h, w), k, s, (1, 1)))
    if cx.i("ceil_mode", 0):
        for i, size in enumerate((h, w)):
            pb, pe = pads[2 * i], pads[2 * i + 1]
            out = -(-(size + pb + pe - k[i]) // s[i]) + 1
            if (out - 1) * s[i] >= size + pb:
                out -= 1
            pads[2 * i + 1] = max(pe, (out - 1) * s[i] + k[i] - size - pb)
    if kind == "avg" and cx.i("count_include_pad", 0) and any(pads):
        # padding counts in the divisor: pad with real zeros, then pool without padding
        explicit = window_pads(cx, (h, w), k, s, (1, 1))
        if full_divisor:
            explicit = (pads[0], pads[1], pads[2], pads[3])
        value = 0.0
        if xt.quant is not None and xt.dtype.is_integer:
            value = float(xt.quant.scalar_zero_point())
        pp = ((0, 0), (explicit[0], explicit[1]), (explicit[2], explicit[3]), (0, 0))
        xt = cx.node("pad", [xt], PadAttrs(pp, value), perm, like=xt)
        pads = [0, pads[1] - explicit[1], 0, pads[3] - explicit[3]]
    attrs = Pool2DAttrs(k, s, (pads[0], pads[1], pads[2], pads[3]), cx.take_act())
    return ("max_pool2d" if kind == "max" else "avg_pool2d"), xt, attrs


def global_pool_core(cx: Cx, x: Val, kind: str, channels_last: bool = False) -> None:
    """GlobalAveragePool / GlobalMaxPool / QLinearGlobalAveragePool (2-D, or 1-D as 2-D).

    Max pooling, and average pooling of quantized data, become a pooling node whose window is
    the whole plane (no padding): ONNX Runtime runs a quantized global average as
    QLinearGlobalAveragePool (also for a ``DQ -> GlobalAveragePool -> Q`` group), whose
    rounding the ORT lowering of such an ``avg_pool2d`` reproduces. A float global average is a
    ``mean`` over the spatial axes, marked to follow ORT's pooling order (not ReduceMean's)."""
    quantized = kind == "avg" and x.quant is not None and x.dtype.is_integer
    pooled = kind == "max" or quantized
    op = "max_pool2d" if kind == "max" else "avg_pool2d"
    if x.rank == 3 and not channels_last:
        if not pooled:
            mean_core(cx, x, [2], True)
            return
        cx2, xt = _one_d(cx, x)
        attrs = Pool2DAttrs((1, xt.shape[2]), (1, 1), (0, 0, 0, 0))
        like = xt if kind == "max" else None  # max pooling moves data; average requantizes
        _back_to_1d(cx2, cx2.node(op, [xt], attrs, NHWC, like=like))
        return
    _rank4(x, "global pooling")
    perm = identity(4) if channels_last else NHWC
    xt = cx.tensor(x, perm)
    if not pooled:
        first = len(cx.b.nodes)
        cx.emit("mean", [xt], MeanAttrs((1, 2), True), perm)
        for n in cx.b.nodes[first:]:
            if n.op == "mean" and n.numerics == "onnxruntime":
                # ORT sums with MLAS's global pooling kernel, not ReduceMean's Eigen order
                # (mcuai.lower.ort.ORT_GLOBAL_POOL_NUMERICS)
                n.numerics = "onnxruntime-global-pool"
    else:
        _, h, w, _ = xt.shape
        attrs = Pool2DAttrs((h, w), (1, 1), (0, 0, 0, 0))
        cx.emit(op, [xt], attrs, perm, like=xt if kind == "max" else None)


# ---- data movement -----------------------------------------------------------------------
def _identity_view(cx: Cx, x: Val) -> None:
    _view(cx, x, identity(x.rank))


def _view(cx: Cx, x: Val, perm: Perm) -> None:
    """Transpose/Identity: a relabelling of ``x``'s axes, no node (unless requantized)."""
    tg = cx.plan.targets[0] if cx.plan.targets else None
    if tg is None:
        return
    if cx.mode == "qdq":
        want = cx.target_type(0, identity(x.rank))[1]
        if x.dtype is not tg.dtype or want is None or not want.same_as(x.quant):
            if x.quant is not None and x.quant.per_axis:
                raise Unsupported("per-axis quantized activations through Transpose")
            xt = cx.tensor(x, identity(x.rank))
            cx.emit("transpose", [xt], TransposeAttrs(perm), identity(x.rank), like=xt)
            return
    v = cx.b.view_of(x, perm) if perm != identity(x.rank) else x
    cx.b.define(tg.name, v)


def transpose(cx: Cx) -> None:
    x = cx.data(0)
    perm = cx.ints("perm")
    p = tuple(perm) if perm is not None else tuple(reversed(range(x.rank)))
    if sorted(p) != list(range(x.rank)):
        raise Invalid(f"perm {list(p)} for rank {x.rank}")
    _view(cx, x, p)


def identity_op(cx: Cx) -> None:
    if cx.n.op == "Dropout" and len(cx.plan.targets) > 1 and cx.plan.targets[1] is not None:
        raise Unsupported("Dropout mask output")
    _identity_view(cx, cx.data(0))


def _reshape_to(cx: Cx, x: Val, shape: tuple[int, ...], kind: str) -> None:
    if math.prod(shape) != math.prod(x.shape):
        raise Invalid(f"cannot reshape {list(x.shape)} to {list(shape)}")
    xt = cx.tensor(x, identity(x.rank))
    cx.emit("reshape", [xt], ReshapeAttrs(shape, kind), identity(len(shape)), like=xt)


def reshape(cx: Cx) -> None:
    x = cx.data(0)
    spec = [int(v) for v in cx.const(1).reshape(-1)]
    allowzero = cx.i("allowzero", 0)
    out: list[int] = []
    for i, d in enumerate(spec):
        if d == 0 and not allowzero:
            if i >= x.rank:
                raise Invalid(f"shape {spec} copies axis {i} of a rank-{x.rank} input")
            out.append(x.shape[i])
        else:
            out.append(d)
    if out.count(-1) > 1:
        raise Invalid(f"shape {spec} has more than one -1")
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or math.prod(x.shape) % known:
            raise Invalid(f"cannot reshape {list(x.shape)} to {spec}")
        out[out.index(-1)] = math.prod(x.shape) // known
    _reshape_to(cx, x, tuple(out), "reshape")


def flatten(cx: Cx) -> None:
    x = cx.data(0)
    axis = cx.i("axis", 1)
    axis = axis + x.rank if axis < 0 else axis
    if not 0 <= axis <= x.rank:
        raise Invalid(f"axis {axis} for rank {x.rank}")
    _reshape_to(cx, x, (math.prod(x.shape[:axis]), math.prod(x.shape[axis:])), "flatten")


def _axes_arg(cx: Cx, attr_opset: int) -> list[int] | None:
    """``axes`` as an attribute (opset < attr_opset) or as input 1."""
    if cx.opset < attr_opset:
        return cx.ints("axes")
    c = cx.opt_const(1)
    return None if c is None else [int(a) for a in c.reshape(-1)]


def squeeze(cx: Cx) -> None:
    x = cx.data(0)
    axes = _axes_arg(cx, 13)
    if axes is None:
        ax = {i for i, d in enumerate(x.shape) if d == 1}
    else:
        ax = {_axis(a, x.rank) for a in axes}
        if any(x.shape[a] != 1 for a in ax):
            raise Invalid(f"squeeze of axes {sorted(ax)} of {list(x.shape)}")
    _reshape_to(cx, x, tuple(d for i, d in enumerate(x.shape) if i not in ax), "squeeze")


def unsqueeze(cx: Cx) -> None:
    x = cx.data(0)
    axes = _axes_arg(cx, 13)
    if not axes:
        raise Invalid("Unsqueeze without axes")
    rank = x.rank + len(axes)
    ax = sorted(_axis(a, rank) for a in axes)
    out = list(x.shape)
    for a in ax:
        out.insert(a, 1)
    _reshape_to(cx, x, tuple(out), "unsqueeze")


def concat_core(cx: Cx, vals: list[Val], axis_attr: int) -> None:
    rank = vals[0].rank
    if any(v.rank != rank for v in vals):
        raise Invalid("Concat inputs of different ranks")
    axis = _axis(axis_attr, rank)
    perm = cx.common_perm(vals, rank)
    ts = [cx.tensor(v, perm) for v in vals]
    cx.emit("concat", list(ts), ConcatAttrs(perm.index(axis), cx.take_act()), perm)


def concat(cx: Cx) -> None:
    vals = [cx.data(i) for i in range(len(cx.n.inputs)) if cx.has(i)]
    concat_core(cx, vals, cx.i("axis", 0))


def _slice_ranges(
    shape: tuple[int, ...], starts: list[int], ends: list[int], axes: list[int], steps: list[int]
) -> tuple[list[int], list[int], list[int]]:
    r = len(shape)
    begin, end, stride = [0] * r, list(shape), [1] * r
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise Invalid("starts/ends/axes/steps of different lengths")
    for st0, en0, ax, sp in zip(starts, ends, axes, steps, strict=True):
        a = _axis(ax, r)
        d = shape[a]
        if sp == 0:
            raise Invalid("slice step 0")
        st = st0 + d if st0 < 0 else st0
        en = en0 + d if en0 < 0 else en0
        if sp > 0:
            st, en = min(max(st, 0), d), min(max(en, 0), d)
        else:
            st, en = min(max(st, 0), d - 1), min(max(en, -1), d - 1)
        begin[a], end[a], stride[a] = st, en, sp
    return begin, end, stride


def slice_op(cx: Cx) -> None:
    x = cx.data(0)
    if cx.opset < 10:
        starts, ends = cx.ints("starts") or [], cx.ints("ends") or []
        axes = cx.ints("axes") or list(range(len(starts)))
        steps = [1] * len(starts)
    else:
        starts = [int(v) for v in cx.const(1).reshape(-1)]
        ends = [int(v) for v in cx.const(2).reshape(-1)]
        ac = cx.opt_const(3)
        axes = [int(v) for v in ac.reshape(-1)] if ac is not None else list(range(len(starts)))
        sc = cx.opt_const(4)
        steps = [int(v) for v in sc.reshape(-1)] if sc is not None else [1] * len(starts)
    begin, end, stride = _slice_ranges(x.shape, starts, ends, axes, steps)
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    attrs = StridedSliceAttrs(
        tuple(begin[p] for p in perm), tuple(end[p] for p in perm), tuple(stride[p] for p in perm)
    )
    cx.emit("strided_slice", [xt], attrs, perm, like=xt)


def split(cx: Cx) -> None:
    x = cx.data(0)
    axis = _axis(cx.i("axis", 0), x.rank)
    n = len(cx.n.outputs)
    sizes: list[int] | None
    if cx.opset < 13:
        sizes = cx.ints("split")
    else:
        c = cx.opt_const(1)
        sizes = None if c is None else [int(v) for v in c.reshape(-1)]
    dim = x.shape[axis]
    if sizes is None:
        parts = cx.i("num_outputs", n) if cx.opset >= 18 else n
        each = -(-dim // parts)
        sizes = [each] * (parts - 1) + [dim - each * (parts - 1)]
    if len(sizes) != n or sum(sizes) != dim or min(sizes) < 0:
        raise Invalid(f"split sizes {sizes} for an axis of {dim} and {n} outputs")
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    attrs = SplitAttrs(perm.index(axis), tuple(sizes))
    cx.emit("split", [xt], attrs, perm, like=xt, n_out=n)


def gather(cx: Cx) -> None:
    x = cx.data(0)
    idx = cx.const(1).astype(np.int64)
    axis = _axis(cx.i("axis", 0), x.rank)
    d = x.shape[axis]
    flat = [int(i) + d if int(i) < 0 else int(i) for i in idx.reshape(-1)]
    if any(not 0 <= i < d for i in flat):
        raise Invalid(f"Gather index out of range for an axis of {d}")
    perm = cx.pref(x)
    if idx.ndim == 0:
        xt = cx.tensor(x, perm)
        begin = [0] * x.rank
        end = list(x.shape)
        begin[axis], end[axis] = flat[0], flat[0] + 1
        attrs = StridedSliceAttrs(
            tuple(begin[p] for p in perm),
            tuple(end[p] for p in perm),
            (1,) * x.rank,
            (perm.index(axis),),
        )
        cx.emit("strided_slice", [xt], attrs, drop_axes(perm, (axis,)), like=xt)
        return
    if idx.ndim == 1 and flat:
        step = flat[1] - flat[0] if len(flat) > 1 else 1
        if step != 0 and flat == list(range(flat[0], flat[0] + step * len(flat), step)):
            xt = cx.tensor(x, perm)
            begin, end, stride = [0] * x.rank, list(x.shape), [1] * x.rank
            stop = flat[-1] + step
            begin[axis], end[axis], stride[axis] = flat[0], stop if stop >= 0 else -1, step
            attrs = StridedSliceAttrs(
                tuple(begin[p] for p in perm),
                tuple(end[p] for p in perm),
                tuple(stride[p] for p in perm),
            )
            cx.emit("strided_slice", [xt], attrs, perm, like=xt)
            return
    raise Unsupported("Gather with indices other than a scalar or an arithmetic range")


def pad(cx: Cx) -> None:
    x = cx.data(0)
    mode = cx.s("mode", "constant")
    if mode != "constant":
        raise Unsupported(f"Pad mode '{mode}' (only 'constant')")
    if cx.opset < 11:
        raw = cx.ints("pads") or []
        value = cx.f("value", 0.0)
        axes = list(range(x.rank))
    else:
        raw = [int(v) for v in cx.const(1).reshape(-1)]
        vc = cx.opt_const(2)
        value = float(np.float32(vc.reshape(-1)[0])) if vc is not None and vc.size else 0.0
        ac = cx.opt_const(3)
        axes = (
            [_axis(int(a), x.rank) for a in ac.reshape(-1)]
            if ac is not None
            else list(range(x.rank))
        )
    if len(raw) != 2 * len(axes):
        raise Invalid(f"pads {raw} for {len(axes)} axes")
    if min(raw, default=0) < 0:
        raise Unsupported(f"negative pads {raw} (cropping)")
    full = [(0, 0)] * x.rank
    for k, a in enumerate(axes):
        full[a] = (raw[k], raw[k + len(axes)])
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    if xt.dtype.is_integer and not cx.val(0).dtype.is_integer:
        # the model pads real values: the pad element is the quantized ``value``
        if xt.quant is None or xt.quant.per_axis:
            raise Unsupported("Pad of an integer tensor without per-tensor quantization")
        q = xt.quant
        qv = np.rint(np.float32(value) / q.scale) + q.scalar_zero_point()
        value = float(np.clip(qv, xt.dtype.qmin, xt.dtype.qmax))
    attrs = PadAttrs(tuple(full[p] for p in perm), value)
    cx.emit("pad", [xt], attrs, perm, like=xt)


def _pad_through_ok(b: Builder, n: OnnxNode) -> bool:
    """Padding integers with the zero point is exact only for a pad value of 0."""
    if b.model.opset < 11:
        return float(n.attr("value", 0.0)) == 0.0
    if len(n.inputs) > 2 and n.inputs[2]:
        v = b.vals.get(n.inputs[2])
        return v is not None and b.const_like(v) and not np.any(b.float_data(v))
    return True


# ---- resize ------------------------------------------------------------------------------
def _onnx_nearest(
    n_in: int, n_out: int, scale: np.float32, ctm: str, nearest_mode: str
) -> list[int]:
    """ONNX Resize nearest source indices (float32 arithmetic, as ONNX Runtime)."""
    f32 = np.float32
    out = []
    for i in range(n_out):
        x = f32(i)
        if ctm == "half_pixel":
            o = (x + f32(0.5)) / scale - f32(0.5)
        elif ctm == "pytorch_half_pixel":
            o = (x + f32(0.5)) / scale - f32(0.5) if n_out > 1 else f32(0.0)
        elif ctm == "align_corners":
            o = f32(0.0) if n_out == 1 else x * f32(n_in - 1) / f32(n_out - 1)
        elif ctm == "asymmetric":
            o = x / scale
        elif ctm == "tf_half_pixel_for_nn":
            o = (x + f32(0.5)) / scale
        else:
            raise Unsupported(f"Resize coordinate_transformation_mode '{ctm}'")
        v = float(o)
        if nearest_mode == "floor":
            j = math.floor(v)
        elif nearest_mode == "ceil":
            j = math.ceil(v)
        elif nearest_mode == "round_prefer_ceil":
            j = math.floor(v + 0.5)
        elif nearest_mode == "round_prefer_floor":
            j = math.ceil(v - 0.5)
        else:
            raise Unsupported(f"Resize nearest_mode '{nearest_mode}'")
        out.append(min(max(j, 0), n_in - 1))
    return out


def resize(cx: Cx) -> None:
    x = cx.data(0)
    _rank4(x, "Resize")
    upsample = cx.n.op == "Upsample"
    mode = cx.s("mode", "nearest")
    if upsample or cx.opset < 11:
        ctm = "asymmetric"
        scales_c = cx.opt_const(1)
        sizes_c = None
    else:
        ctm = cx.s("coordinate_transformation_mode", "half_pixel")
        scales_c = cx.opt_const(2)
        sizes_c = cx.opt_const(3)
    if cx.i("antialias", 0):
        raise Unsupported("Resize with antialias")
    if cx.s("keep_aspect_ratio_policy", "stretch") != "stretch":
        raise Unsupported("Resize keep_aspect_ratio_policy other than 'stretch'")
    axes = cx.ints("axes") or list(range(4))
    axes = [_axis(a, 4) for a in axes]
    out = list(x.shape)
    scale = [np.float32(1.0)] * 4
    if sizes_c is not None and sizes_c.size:
        for a, s in zip(axes, sizes_c.reshape(-1), strict=True):
            out[a] = int(s)
            scale[a] = np.float32(np.float32(int(s)) / np.float32(x.shape[a]))
    elif scales_c is not None and scales_c.size:
        for a, s in zip(axes, scales_c.astype(np.float32).reshape(-1), strict=True):
            out[a] = int(np.float32(x.shape[a]) * np.float32(s))
            scale[a] = np.float32(s)
    else:
        raise Invalid("Resize without scales or sizes")
    if out[0] != x.shape[0] or out[1] != x.shape[1]:
        raise Unsupported("Resize of the batch or channel axis")
    if min(out) <= 0:
        raise Invalid(f"Resize to {out}")
    xt = cx.tensor(x, NHWC)
    size = (out[2], out[3])
    if mode == "nearest":
        nm = cx.s("nearest_mode", "round_prefer_floor")
        want = [_onnx_nearest(x.shape[2 + k], size[k], scale[2 + k], ctm, nm) for k in range(2)]
        for ac, hp in ((False, False), (False, True), (True, False)):
            got = [nearest_index(x.shape[2 + k], size[k], ac, hp) for k in range(2)]
            if got == want:
                cx.emit("resize_nearest", [xt], ResizeAttrs(size, ac, hp), NHWC, like=xt)
                return
        raise Unsupported(
            f"Resize nearest with coordinate_transformation_mode '{ctm}' and nearest_mode "
            f"'{nm}' picks source pixels no TFLite-style kernel reproduces"
        )
    if mode == "linear":
        table = {
            "half_pixel": (False, True),
            "pytorch_half_pixel": (False, True),
            "align_corners": (True, False),
            "asymmetric": (False, False),
        }
        if ctm not in table or (ctm == "pytorch_half_pixel" and min(size) == 1):
            raise Unsupported(f"Resize linear with coordinate_transformation_mode '{ctm}'")
        ac, hp = table[ctm]
        cx.emit("resize_bilinear", [xt], ResizeAttrs(size, ac, hp), NHWC, like=xt)
        return
    raise Unsupported(f"Resize mode '{mode}'")


def _resize_through_ok(b: Builder, n: OnnxNode) -> bool:
    """Nearest-neighbour resizing only copies values (linear interpolation does not commute
    with requantization)."""
    return str(n.attr("mode", "nearest")) == "nearest"


# ---- reductions --------------------------------------------------------------------------
def mean_core(cx: Cx, x: Val, axes: list[int] | None, keep: bool) -> None:
    ax = sorted({_axis(a, x.rank) for a in axes} if axes else set(range(x.rank)))
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    ir_axes = tuple(sorted(perm.index(a) for a in ax))
    out_perm = perm if keep else drop_axes(perm, tuple(ax))
    cx.emit("mean", [xt], MeanAttrs(ir_axes, keep), out_perm)


def reduce_mean(cx: Cx) -> None:
    x = cx.data(0)
    axes = _axes_arg(cx, 18)
    if not axes and cx.opset >= 18 and cx.i("noop_with_empty_axes", 0):
        _identity_view(cx, x)
        return
    mean_core(cx, x, axes, bool(cx.i("keepdims", 1)))


def arg_max(cx: Cx) -> None:
    v = cx.val(0)
    x = cx.b.qsource(v) or v  # argmax of dequantized values = argmax of the integers
    if cx.i("select_last_index", 0):
        raise Unsupported("ArgMax with select_last_index")
    axis = _axis(cx.i("axis", 0), x.rank)
    keep = bool(cx.i("keepdims", 1))
    perm = identity(x.rank) if keep else cx.pref(x)
    xt = cx.tensor(x, perm)
    out_perm = drop_axes(perm, (axis,))
    if not keep:
        cx.emit("arg_max", [xt], ArgMaxAttrs(perm.index(axis)), out_perm)
        return
    t = cx.node("arg_max", [xt], ArgMaxAttrs(axis), out_perm)
    shape = tuple(1 if i == axis else d for i, d in enumerate(x.shape))
    cx.emit("reshape", [t], ReshapeAttrs(shape, "expand_dims"), identity(x.rank), like=t)


# ---- normalization and float-only ops ----------------------------------------------------
def batch_norm(cx: Cx) -> None:
    if cx.i("training_mode", 0):
        raise Unsupported("BatchNormalization in training mode")
    x = cx.val(0)
    if x.rank < 2:
        raise Invalid("BatchNormalization of a rank < 2 tensor")
    gamma, beta, mean, var = (cx.weight(i).data.astype(np.float32).reshape(-1) for i in range(1, 5))
    eps = np.float32(cx.f("epsilon", 1e-5))
    # ONNX Runtime's BatchNorm kernel, float32: inv_std = 1 / sqrt(var + eps),
    # k = inv_std * scale, shift = B - mean * k, y = x * k + shift (multiply, then add)
    inv_std = (np.float32(1.0) / np.sqrt((var + eps).astype(np.float32))).astype(np.float32)
    k = (inv_std * gamma).astype(np.float32)
    shift = (beta - (mean * k).astype(np.float32)).astype(np.float32)
    shape = (k.size,) + (1,) * (x.rank - 2)
    kv = Val(f"{cx.origin}/scale", shape, DType.FLOAT32, const=k.reshape(shape))
    sv = Val(f"{cx.origin}/shift", shape, DType.FLOAT32, const=shift.reshape(shape))
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    m = cx.node("mul", [xt, cx.bcast(kv, x.rank, perm)], ElementwiseAttrs(), perm)
    cx.emit("add", [m, cx.bcast(sv, x.rank, perm)], ElementwiseAttrs(cx.take_act()), perm)


def layer_norm(cx: Cx) -> None:
    x = cx.val(0)
    if any(t is not None for t in cx.plan.targets[1:]):
        raise Unsupported("LayerNormalization Mean/InvStdDev outputs")
    axis = _axis(cx.i("axis", -1), x.rank)
    xt = cx.tensor(x, identity(x.rank))
    scale = cx.const_tensor(cx.weight(1))
    bias = cx.const_tensor(cx.weight(2)) if cx.has(2) else None
    attrs = LayerNormAttrs(axis, cx.f("epsilon", 1e-5))
    cx.emit("layer_norm", [xt, scale, bias], attrs, identity(x.rank))


def cast(cx: Cx) -> None:
    x = cx.val(0)
    tg = cx.plan.targets[0] if cx.plan.targets else None
    if tg is None:
        return
    if x.dtype is tg.dtype:
        _identity_view(cx, x)
        return
    if not 0 < int(cx.n.attr("to", 0)) <= 16:
        raise Invalid(f"Cast to the unknown type {cx.n.attr('to')}")
    if tg.dtype is DType.FLOAT32 and x.dtype.is_integer:
        q = x.quant
        if q is None or q.per_axis or q.scalar_scale() != 1.0:
            raise Unsupported(f"Cast of the quantized tensor '{x.name}' to float")
        perm = cx.pref(x)
        cx.emit("dequantize", [cx.tensor(x, perm)], None, perm)
        return
    raise Unsupported(f"Cast from {x.dtype.value} to {tg.dtype.value}")


def _gelu_attrs(cx: Cx) -> GeluAttrs:
    approx = cx.s("approximate", "none")
    if approx not in ("none", "tanh"):
        raise Invalid(f"Gelu approximate '{approx}'")
    return GeluAttrs(approx == "tanh")


#: The supported default-domain ops. Anything else is reported as unsupported, all at once.
RULES: dict[str, Rule] = {
    "Conv": Rule(conv, qdq=(0, 1), act=True, bn=True),
    "ConvTranspose": Rule(conv_transpose, qdq=(0, 1), act=True, bn=True),
    "Gemm": Rule(gemm, qdq=(0, 1), act=True, bn=True),
    "MatMul": Rule(matmul, qdq=(0, 1), act=True),
    "Add": _binary("add"),
    "Sub": _binary("sub"),
    "Mul": _binary("mul"),
    "Div": _binary("div"),
    "Max": _variadic("maximum"),
    "Min": _variadic("minimum"),
    "Sum": _variadic("add"),
    "PRelu": Rule(prelu, qdq=(0, 1)),
    "Relu": Rule(relu, qdq=(0,)),
    "Clip": Rule(clip, qdq=(0,)),
    "LeakyRelu": _unary("leaky_relu", lambda cx: LeakyReluAttrs(cx.f("alpha", 0.01))),
    "Sigmoid": _unary("logistic"),
    "Tanh": _unary("tanh"),
    "HardSwish": _unary("hard_swish"),
    "HardSigmoid": _unary(
        "hard_sigmoid", lambda cx: HardSigmoidAttrs(cx.f("alpha", 0.2), cx.f("beta", 0.5))
    ),
    "Erf": _unary("erf", qdq=False),
    "Gelu": _unary("gelu", _gelu_attrs, qdq=False),
    "Softmax": Rule(softmax, qdq=(0,)),
    "AveragePool": Rule(lambda cx: pool_core(cx, cx.data(0), "avg"), qdq=(0,), act=True),
    "MaxPool": Rule(lambda cx: pool_core(cx, cx.data(0), "max"), qdq=(0,), through=True),
    "GlobalAveragePool": Rule(lambda cx: global_pool_core(cx, cx.data(0), "avg"), qdq=(0,)),
    "GlobalMaxPool": Rule(
        lambda cx: global_pool_core(cx, cx.data(0), "max"), qdq=(0,), through=True
    ),
    "Concat": Rule(concat, qdq=ALL_INPUTS, through=True),
    "Reshape": Rule(reshape, qdq=(0,), through=True),
    "Flatten": Rule(flatten, qdq=(0,), through=True),
    "Squeeze": Rule(squeeze, qdq=(0,), through=True),
    "Unsqueeze": Rule(unsqueeze, qdq=(0,), through=True),
    "Transpose": Rule(transpose, qdq=(0,)),
    "Identity": Rule(identity_op, qdq=(0,)),
    "Dropout": Rule(identity_op, qdq=(0,)),
    "Slice": Rule(slice_op, qdq=(0,), through=True),
    "Split": Rule(split, qdq=(0,), through=True),
    "Gather": Rule(gather, qdq=(0,), through=True),
    "Pad": Rule(pad, qdq=(0,), through=True, through_check=_pad_through_ok),
    "Resize": Rule(resize, qdq=(0,), through=True, through_check=_resize_through_ok),
    "Upsample": Rule(resize, qdq=(0,), through=True, through_check=_resize_through_ok),
    "ReduceMean": Rule(reduce_mean, qdq=(0,)),
    "ArgMax": Rule(arg_max),
    "BatchNormalization": Rule(batch_norm, act=True),
    "LayerNormalization": Rule(layer_norm),
    "Cast": Rule(cast),
}
