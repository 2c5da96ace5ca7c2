"""Float32 lowering of the compute ops ("float fallback" and float models).

:func:`lower_float` returns the kernel calls of a node whose activations are all float32, or
``None`` when the node is not a float node (or its op has no float kernel). Each op's ``lower``
calls it at the end (the op files belong to their op's family; this module holds only the float
path). The kernels (``src/mcuai/kernels/mcu_*_f32.c``) follow the TFLite *reference* kernels'
float code operation by operation and in the same summation order, so on the host:

* bit-exact with LiteRT ``BUILTIN_REF`` (tests compare float32 bit patterns): relu family,
  max pool, avg pool, add, sub, mul, maximum, minimum, leaky_relu, prelu, hard_swish, conv2d,
  depthwise_conv2d, fully_connected, transpose_conv, mean (``reference_ops::Mean`` for 4-D
  over H, W with keep_dims; ``optimized_ops::MeanGeneral`` otherwise, which also sums in the
  input's order), and, with the same libm as LiteRT (glibc expf / tanhf), softmax, logistic and
  tanh;
* on Cortex-M, newlib's expf / tanhf may differ by an ulp or so (softmax, logistic, tanh): the
  documented float tolerance is ``rtol = 1e-5, atol = 1e-6 * max(1, max|ref|)``.

Build the kernels with ``-std=c99`` (or ``-ffp-contract=off``): GNU modes let gcc fuse
multiply-adds, which changes the last bits (see ``kernels/mcu_clamp_f32.h``).

Float clamps come from ``attrs.clamp`` (real range; the code generator writes infinities as
+-FLT_MAX). Hybrid nodes (float activations with integer weights, TFLite "dynamic range"
quantization) are refused with a clear error: they quantize activations at run time.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import dims4, hw, unsupported
from mcuai.lower.program import Call, CArray, Raw, Struct, TensorRef, Value

#: The unit every float kernel includes (shared float types and the clamp).
COMMON = "mcu_clamp_f32"

F32 = DType.FLOAT32


def lower_float(node: Node) -> list[Call] | None:
    """Float32 calls for ``node``, or ``None`` when it is not a float32 node of a compute op."""
    fn = _LOWER.get(node.op)
    if fn is None or not is_float_node(node):
        return None
    return fn(node)


def is_float_node(node: Node) -> bool:
    """True when every non-constant input and every output is float32."""
    acts = [t for t in node.inputs if t is not None and not t.is_const]
    return all(t.dtype is F32 for t in [*acts, *node.outputs])


# ---- helpers ----------------------------------------------------------------------------------


def _dims(n: int, h: int, w: int, c: int) -> Struct:
    return Struct("mcu_dims", [("n", n), ("h", h), ("w", w), ("c", c)])


def act_params(node: Node) -> Struct:
    """``mcu_act_f32`` from the fused activation's real clamp range."""
    clamp = getattr(node.attrs, "clamp", None)
    if clamp is not None:
        lo, hi = float(clamp.lo), float(clamp.hi)
    else:
        act = getattr(node.attrs, "act", None)
        lo, hi = act.real_range() if act is not None else (-math.inf, math.inf)
    return Struct("mcu_act_f32", [("min", lo), ("max", hi)])


def _call(kernel: str, args: list[Value], comment: str = "") -> list[Call]:
    return [Call(kernel, (kernel, COMMON), args, comment=comment)]


def _weights(node: Node, w: Tensor, hint: str) -> CArray:
    """A float32 constant (filter/weights/alpha); integer data here means hybrid quantization."""
    if w.data is None:
        raise unsupported(node, f"'{w.name}' ({hint}) must be a constant")
    if w.dtype is not F32:
        raise unsupported(
            node,
            f"float activations with {w.dtype.value} {hint} (TFLite dynamic-range / hybrid "
            "quantization, which quantizes activations at run time) are not supported: "
            "quantize the model with a calibration set (static quantization) or keep it float",
        )
    return CArray(hint, np.ascontiguousarray(w.data, dtype=np.float32).reshape(-1))


def _bias(node: Node, b: Tensor | None) -> Value:
    if b is None:
        return Raw("NULL")
    return _weights(node, b, "bias")


def collapse_broadcast(
    a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None:
    """Rank <= 4 shapes of ``a``, ``b`` and ``out`` that walk the same elements as the numpy
    broadcast ``a op b -> out``: output axes of size 1 are dropped and adjacent axes merged
    while each operand is either full or broadcast over all of them; ``None`` if more than four
    axes remain."""
    n = len(out)
    pa = (1,) * (n - len(a)) + tuple(a)
    pb = (1,) * (n - len(b)) + tuple(b)
    groups: list[tuple[bool, bool, int]] = []
    for da, db, do in zip(pa, pb, out, strict=True):
        if do == 1:
            continue
        key = (da == do, db == do)
        if groups and groups[-1][:2] == key:
            groups[-1] = (key[0], key[1], groups[-1][2] * do)
        else:
            groups.append((key[0], key[1], do))
    if len(groups) > 4:
        return None
    groups = [(True, True, 1)] * (4 - len(groups)) + groups
    return (
        tuple(g[2] if g[0] else 1 for g in groups),
        tuple(g[2] if g[1] else 1 for g in groups),
        tuple(g[2] for g in groups),
    )


def _bcast_args(node: Node, a: Tensor, b: Tensor, y: Tensor) -> list[Value]:
    shapes = collapse_broadcast(a.shape, b.shape, y.shape)
    if shapes is None:
        raise unsupported(node, f"broadcast of {list(a.shape)} and {list(b.shape)} needs > 4-D")
    da, db, dy = shapes
    return [_dims(*da), TensorRef(a), _dims(*db), TensorRef(b), _dims(*dy), TensorRef(y, out=True)]


# ---- ops --------------------------------------------------------------------------------------


def _conv_params(node: Node, dilation: tuple[int, int], ch_mult: int) -> Struct:
    a = node.attrs
    return Struct(
        "mcu_conv_params_f32",
        [
            ("stride", hw(a.stride)),
            ("padding", hw((a.pads[0], a.pads[2]))),
            ("dilation", hw(dilation)),
            ("ch_mult", ch_mult),
            ("act", act_params(node)),
        ],
    )


def _conv2d(node: Node) -> list[Call]:
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    args: list[Value] = [
        _conv_params(node, node.attrs.dilation, 1),
        dims4(x),
        TensorRef(x),
        dims4(w),
        _weights(node, w, "weights"),
        _bias(node, b),
        dims4(y),
        TensorRef(y, out=True),
    ]
    return _call("mcu_conv2d_f32", args)


def _depthwise_conv2d(node: Node) -> list[Call]:
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    args: list[Value] = [
        _conv_params(node, node.attrs.dilation, node.attrs.multiplier),
        dims4(x),
        TensorRef(x),
        dims4(w),
        _weights(node, w, "weights"),
        _bias(node, b),
        dims4(y),
        TensorRef(y, out=True),
    ]
    return _call("mcu_dwconv2d_f32", args)


def _transpose_conv(node: Node) -> list[Call]:
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    args: list[Value] = [
        _conv_params(node, (1, 1), 1),
        dims4(x),
        TensorRef(x),
        dims4(w),
        _weights(node, w, "weights"),
        _bias(node, b),
        dims4(y),
        TensorRef(y, out=True),
    ]
    return _call("mcu_tconv2d_f32", args)


def _fully_connected(node: Node) -> list[Call]:
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    nout, nin = w.shape
    batches = x.size // nin
    args: list[Value] = [
        act_params(node),
        _dims(1, 1, batches, nin),
        TensorRef(x),
        _dims(1, 1, nout, nin),
        _weights(node, w, "weights"),
        _bias(node, b),
        _dims(1, 1, batches, nout),
        TensorRef(y, out=True),
    ]
    return _call("mcu_fc_f32", args)


def _pool(kernel: str) -> Callable[[Node], list[Call]]:
    def lower(node: Node) -> list[Call]:
        a = node.attrs
        x, y = node.input(0), node.output
        params = Struct(
            "mcu_pool_params_f32",
            [
                ("stride", hw(a.stride)),
                ("padding", hw((a.pads[0], a.pads[2]))),
                ("window", hw(a.kernel)),
                ("act", act_params(node)),
            ],
        )
        return _call(kernel, [params, dims4(x), TensorRef(x), dims4(y), TensorRef(y, out=True)])

    return lower


def reduce_dims(
    shape: tuple[int, ...], axes: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Input shape and keep-dims output shape of a reduction, rank <= 4, with adjacent axes of
    the same kind (reduced / kept) merged and size-1 axes dropped; ``None`` if more than four
    axes remain. The row-major order of the input (the summation order) is unchanged."""
    groups: list[tuple[bool, int]] = []
    for i, d in enumerate(shape):
        if d == 1:
            continue
        red = i in axes
        if groups and groups[-1][0] == red:
            groups[-1] = (red, groups[-1][1] * d)
        else:
            groups.append((red, d))
    if len(groups) > 4:
        return None
    groups = [(False, 1)] * (4 - len(groups)) + groups
    return tuple(g[1] for g in groups), tuple(1 if g[0] else g[1] for g in groups)


def _mean(node: Node) -> list[Call]:
    x, y = node.input(0), node.output
    dims = reduce_dims(x.shape, node.attrs.axes)
    if dims is None:
        raise unsupported(node, f"mean of {list(x.shape)} over {list(node.attrs.axes)} needs > 4-D")
    din, dout = dims
    return _call("mcu_mean_f32", [_dims(*din), TensorRef(x), _dims(*dout), TensorRef(y, out=True)])


def _binary(kernel: str, fused: bool) -> Callable[[Node], list[Call]]:
    def lower(node: Node) -> list[Call]:
        args = _bcast_args(node, node.input(0), node.input(1), node.output)
        return _call(kernel, [act_params(node), *args] if fused else args)

    return lower


def _prelu(node: Node) -> list[Call]:
    x, alpha = node.input(0), node.input(1)
    if alpha.dtype is not F32:
        raise unsupported(node, f"{alpha.dtype.value} alpha with a float input")
    return _call("mcu_prelu_f32", _bcast_args(node, x, alpha, node.output))


def _softmax(node: Node) -> list[Call]:
    x, y = node.input(0), node.output
    depth = x.shape[-1]
    rows = x.size // depth if depth else 0
    beta = float(np.float32(node.attrs.beta))
    return _call(
        "mcu_softmax_f32", [beta, _dims(1, 1, rows, depth), TensorRef(x), TensorRef(y, out=True)]
    )


def _unary(kernel: str) -> Callable[[Node], list[Call]]:
    def lower(node: Node) -> list[Call]:
        x, y = node.input(0), node.output
        return _call(kernel, [x.size, TensorRef(x), TensorRef(y, out=True)])

    return lower


def _relu(node: Node) -> list[Call]:
    x, y = node.input(0), node.output
    act = Struct("mcu_act_f32", [("min", float(node.attrs.lo)), ("max", float(node.attrs.hi))])
    return _call("mcu_clamp_f32", [act, x.size, TensorRef(x), TensorRef(y, out=True)])


def _leaky_relu(node: Node) -> list[Call]:
    x, y = node.input(0), node.output
    alpha = float(np.float32(node.attrs.alpha))
    return _call("mcu_leaky_relu_f32", [alpha, x.size, TensorRef(x), TensorRef(y, out=True)])


_LOWER: dict[str, Callable[[Node], list[Call]]] = {
    "conv2d": _conv2d,
    "depthwise_conv2d": _depthwise_conv2d,
    "fully_connected": _fully_connected,
    "transpose_conv": _transpose_conv,
    "avg_pool2d": _pool("mcu_avgpool2d_f32"),
    "max_pool2d": _pool("mcu_maxpool2d_f32"),
    "mean": _mean,
    "add": _binary("mcu_add_f32", True),
    "sub": _binary("mcu_sub_f32", True),
    "mul": _binary("mcu_mul_f32", True),
    "maximum": _binary("mcu_maximum_f32", False),
    "minimum": _binary("mcu_minimum_f32", False),
    "prelu": _prelu,
    "softmax": _softmax,
    "logistic": _unary("mcu_logistic_f32"),
    "tanh": _unary("mcu_tanh_f32"),
    "hard_swish": _unary("mcu_hard_swish_f32"),
    "relu": _relu,
    "leaky_relu": _leaky_relu,
}

#: Ops with a float32 kernel here.
FLOAT_OPS: tuple[str, ...] = tuple(sorted(_LOWER))
