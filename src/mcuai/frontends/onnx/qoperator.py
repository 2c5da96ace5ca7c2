"""QOperator models: ``QLinear*`` ops (default and ``com.microsoft`` domains), ``QGemm``,
``ConvInteger`` and ``MatMulInteger`` (static inputs) -> the same integer IR nodes as QDQ groups.

Inputs and outputs are integer values whose parameters :mod:`.qparams` gathered from the ops'
scale/zero-point inputs. Integer weights keep their zero points
(the IR holds them; kernels decide). ``ConvInteger``/``MatMulInteger`` produce an int32
accumulator that a model requantizes itself: ``-> Cast(float) -> Mul(c) [-> Add(bias)]
[-> Relu/Clip] -> QuantizeLinear`` becomes one integer layer (weight scale ``c / s_x``, so that
``s_x * s_w = c``; the float bias quantized with ``c``). Without such a chain the layer runs in
float32 on the exact integers ``x - zp_x`` (:func:`integer_input`) and ``w - zp_w``, whose
result is the accumulator itself, so that the ``Cast`` that follows is a no-op.
"""

from __future__ import annotations

import numpy as np

from mcuai.frontends.onnx.builder import (
    ConstIn,
    Invalid,
    Target,
    Unsupported,
    Val,
    dequantize_array,
)
from mcuai.frontends.onnx.context import Cx, clip_bounds
from mcuai.frontends.onnx.converters import (
    batch_matmul_core,
    binary_core,
    concat_core,
    conv_core,
    fc_core,
    global_pool_core,
    pool_core,
    softmax_core,
    unary_core,
)
from mcuai.frontends.onnx.qdq import Rule, q_target
from mcuai.frontends.onnx.reader import OnnxNode
from mcuai.ir.dtypes import DType
from mcuai.ir.tensor import QuantParams
from mcuai.ops.leaky_relu import LeakyReluAttrs
from mcuai.ops.reshape import ReshapeAttrs


def _int_const(cx: Cx, i: int) -> ConstIn:
    v = cx.val(i)
    if v.const is None:
        raise Unsupported(f"input {i} ('{v.name}') must be a constant")
    return ConstIn(v.name, v.const, v.quant)


def _x_scale(x: Val) -> float:
    if x.quant is None or x.quant.per_axis:
        raise Unsupported(f"'{x.name}' needs per-tensor quantization parameters")
    return x.quant.scalar_scale()


def _int32_bias(cx: Cx, i: int, x: Val, w: ConstIn, factor: float = 1.0) -> ConstIn | None:
    """The int32 bias of a QOperator op: its scale is ``factor * s_x * s_w`` by definition."""
    if not cx.has(i):
        return None
    b = _int_const(cx, i)
    if w.quant is None:
        raise Invalid(f"weights '{w.name}' have no quantization parameters")
    scale = (np.float32(factor) * np.float32(_x_scale(x)) * w.quant.scale).astype(np.float32)
    zp = np.zeros(scale.shape, np.int64)
    return ConstIn(
        b.name, b.data.astype(np.int32), QuantParams(scale, zp, 0 if scale.ndim else None)
    )


def qlinear_conv(cx: Cx) -> None:
    x = cx.val(0)
    w = _int_const(cx, 3)
    conv_core(cx, x, w, _int32_bias(cx, 8, x, w))


def qlinear_matmul(cx: Cx) -> None:
    a, b = cx.val(0), cx.val(3)
    if b.const is not None and b.rank == 2:
        fc_core(cx, a, _int_const(cx, 3), None, False, False, keep_num_dims=True)
    else:
        batch_matmul_core(cx, a, _int_const(cx, 3) if b.const is not None else b)


def qgemm(cx: Cx) -> None:
    a = cx.val(0)
    if a.rank != 2:
        raise Invalid(f"QGemm input of rank {a.rank}")
    ta, tb = bool(cx.i("transA", 0)), bool(cx.i("transB", 0))
    alpha = cx.f("alpha", 1.0)
    w = _int_const(cx, 3)
    bias = _int32_bias(cx, 6, a, w, alpha)
    has_y = cx.has(7)
    if has_y:
        fc_core(cx, a, w, bias, ta, tb, alpha)
        return
    # float output: dequantize the input, run the FC in float32 (what ORT's QGemm computes)
    assert w.quant is not None
    wf = ConstIn(w.name, dequantize_array(w.data, w.quant), None)
    bf = None
    if bias is not None and bias.quant is not None:
        bf = ConstIn(bias.name, dequantize_array(bias.data, bias.quant), None)
    af = cx.b.dequant_val(a, cx.origin)
    fc_core(cx, af, wf, bf, ta, tb, alpha)


def _binary(op: str) -> Rule:
    def convert(cx: Cx) -> None:
        binary_core(cx, op, [cx.val(0), cx.val(3)])

    return Rule(convert)


def qlinear_avg_pool(cx: Cx) -> None:
    pool_core(cx, cx.val(0), "avg", bool(cx.i("channels_last", 0)), full_divisor=True)


def qlinear_global_avg_pool(cx: Cx) -> None:
    global_pool_core(cx, cx.val(0), "avg", bool(cx.i("channels_last", 0)))


def qlinear_softmax(cx: Cx) -> None:
    softmax_core(cx, cx.val(0), cx.n.attr("axis", -1), cx.i("opset", 13))


def qlinear_concat(cx: Cx) -> None:
    vals = [cx.val(k) for k in range(2, len(cx.n.inputs), 3)]
    if not vals or (len(cx.n.inputs) - 2) % 3:
        raise Invalid("QLinearConcat inputs are not (tensor, scale, zero point) triples")
    concat_core(cx, vals, cx.i("axis", 0))


def _only_reader(cx: Cx, name: str) -> OnnxNode | None:
    cons = cx.b.consumers.get(name, [])
    if name in cx.b.graph_outputs or len(cons) != 1 or cons[0].domain:
        return None
    return cons[0]


def _const_operand(cx: Cx, n: OnnxNode, data_input: str) -> np.ndarray | None:
    other = [x for x in n.inputs if x and x != data_input]
    if len(other) != 1 or len(n.inputs) != 2:
        return None
    v = cx.b.vals.get(other[0])
    return None if v is None or not cx.b.const_like(v) else cx.b.float_data(v).astype(np.float32)


def _channel_vector(c: np.ndarray, channels: int, axis: int, rank: int) -> np.ndarray | None:
    """``c`` as a per-channel vector when it broadcasts along ``axis`` only (or a scalar)."""
    if c.size == 1:
        return c.reshape(())
    if c.size != channels or c.ndim > rank:
        return None
    shape = (1,) * (rank - c.ndim) + c.shape
    if shape[axis] != channels:
        return None
    return c.reshape(-1)


def _integer_chain(
    cx: Cx, channels: int, axis: int, rank: int
) -> tuple[np.ndarray, ConstIn | None] | None:
    """``ConvInteger/MatMulInteger -> Cast(float) -> Mul(c) [-> Add(b)] [-> Relu/Clip] ->
    QuantizeLinear``: a static integer layer with weight scale ``c / s_x`` and a float bias.
    On a match the plan becomes a QDQ group writing the QuantizeLinear's output."""
    out = cx.n.outputs[0]
    cast = _only_reader(cx, out)
    if cast is None or cast.op != "Cast" or int(cast.attr("to", 0)) != 1:
        return None
    mul = _only_reader(cx, cast.outputs[0])
    if mul is None or mul.op != "Mul":
        return None
    c = _const_operand(cx, mul, cast.outputs[0])
    scale = None if c is None else _channel_vector(c, channels, axis, rank)
    if scale is None or np.any(scale <= 0):
        return None
    absorbed = [cast, mul]
    cur = mul.outputs[0]
    nxt = _only_reader(cx, cur)
    bias: ConstIn | None = None
    if nxt is not None and nxt.op == "Add":
        bdata = _const_operand(cx, nxt, cur)
        bvec = None if bdata is None else _channel_vector(bdata, channels, axis, rank)
        if bvec is None:
            return None
        bias = ConstIn(f"{nxt.name}/bias", bvec.reshape(-1), None)
        absorbed.append(nxt)
        cur = nxt.outputs[0]
        nxt = _only_reader(cx, cur)
    act = None
    if nxt is not None and nxt.op in ("Relu", "Clip"):
        act = clip_bounds(cx.b, nxt)
        if act is None:
            return None
        absorbed.append(nxt)
        cur = nxt.outputs[0]
        nxt = _only_reader(cx, cur)
    if nxt is None or nxt.op != "QuantizeLinear" or nxt.inputs[0] != cur:
        return None
    tg = q_target(cx.b, nxt)
    if tg is None:
        return None
    absorbed.append(nxt)
    cx.plan.mode = "qdq"
    cx.plan.targets = [tg]
    cx.plan.act = act
    cx.plan.act_origin = absorbed[-2].name if act is not None else ""
    cx.plan.absorbed.extend(absorbed)
    return scale, bias


#: ``Node.numerics`` of a layer requantized by ONNX Runtime in two float roundings
#: (``mcuai.lower.ort.ORT_TWO_STEP_NUMERICS``; the frontend does not import the lowering).
TWO_STEP_NUMERICS = "onnxruntime-two-step"


def _integer_layer(
    cx: Cx, x: Val, w_index: int, zp_index: int, w_axis: int
) -> tuple[ConstIn, ConstIn | None]:
    """Weights (and bias) of ConvInteger/MatMulInteger with static inputs, see the module
    docstring; falls back to float32 when no constant scale requantizes the accumulator."""
    w = _int_const(cx, w_index)
    channels = int(w.data.shape[w_axis])
    zp = cx.const(zp_index).astype(np.int64) if cx.has(zp_index) else np.zeros((), np.int64)
    zp = zp.reshape(-1) if zp.size > 1 else zp.reshape(())
    xs = np.float32(_x_scale(x))
    out_axis, rank = (1, 4) if w_axis == 0 else (1, 2)
    chain = _integer_chain(cx, channels, out_axis if w_axis == 0 else rank - 1, rank)
    if chain is not None:
        scale, bias = chain
        ws = (scale / xs).astype(np.float32)
        if bias is None:
            # ORT rounds twice (Cast -> Mul(c), then QuantizeLinear): the layer keeps ``c``
            # as the scale of an all-zero int32 bias and is marked for that rule
            cvec = np.broadcast_to(scale.reshape(-1), (channels,)).astype(np.float32)
            zeros = np.zeros(channels, np.int64)
            cq = QuantParams(cvec, zeros, 0) if scale.ndim == 1 else QuantParams(scale, zeros[0])
            bias = ConstIn(f"{cx.n.name}/post_scale", np.zeros(channels, np.int32), cq)
    else:
        bias = None
        out = cx.n.outputs[0]
        cx.plan.targets = [Target(out, DType.FLOAT32, None)]
        cx.b.warnings.append(
            f"'{cx.origin}' ({cx.n.op}) runs in float32: no constant scale requantizes its "
            "int32 result to a quantized tensor"
        )
        # the integer values w - zp_w as float32 (exact); the input becomes x - zp_x
        # (integer_input), so the float result is the int32 accumulator itself
        real = (w.data.astype(np.int64) - _along(zp, w.data.ndim, w_axis)).astype(np.float32)
        return ConstIn(w.name, real, None), None
    if ws.ndim == 1 or zp.ndim == 1:
        ws_v = np.broadcast_to(ws.reshape(-1), (channels,)).astype(np.float32)
        zp_v = np.broadcast_to(zp.reshape(-1), (channels,)).astype(np.int64)
        q = QuantParams(ws_v, zp_v, w_axis)
    else:
        q = QuantParams(ws, zp)
    return ConstIn(w.name, w.data, q), bias


def _along(v: np.ndarray, rank: int, axis: int) -> np.ndarray:
    if v.ndim == 0:
        return v
    shape = [1] * rank
    shape[axis] = v.size
    return v.reshape(shape)


def _check_input_zp(cx: Cx, x: Val, zp_index: int) -> None:
    if cx.has(zp_index) and x.quant is not None and not x.quant.per_axis:
        zp = cx.const(zp_index).reshape(-1)
        if zp.size != 1 or int(zp[0]) != x.quant.scalar_zero_point():
            raise Unsupported(
                f"input zero point {zp.tolist()} differs from the one '{x.name}' was quantized with"
            )


def integer_input(cx: Cx, x: Val) -> Val:
    """``x - zp_x`` as exact float32 values: a view of ``x``'s integers relabelled with scale
    1 (a ``reshape`` to the same shape, no copy), then a ``dequantize``. A float ConvInteger /
    MatMulInteger on these and on ``w - zp_w`` gives ONNX Runtime's int32 accumulator exactly
    (while every partial sum stays below 2^24 in magnitude), so that the ``Cast -> Mul(c)``
    after it rounds once, as in ORT."""
    if x.quant is None or x.quant.per_axis:
        raise Unsupported(f"{cx.n.op} input '{x.name}' without one zero point")
    perm = cx.pref(x)
    xt = cx.tensor(x, perm)
    unit = QuantParams(np.ones((), np.float32), x.quant.zero_point.reshape(()))
    name = cx.b.unique(x.name, "integer")
    view = cx.b.add_node(
        "reshape", [xt], ReshapeAttrs(xt.shape, "integer view"), [(name, xt.dtype, unit)], cx.origin
    )[0]
    fname = cx.b.unique(x.name, "integer_float")
    f = cx.b.add_node("dequantize", [view], None, [(fname, DType.FLOAT32, None)], cx.origin)[0]
    v = Val(fname, x.shape, DType.FLOAT32, holds="")
    cx.b.bind(v, perm, f)
    return v


def _mark_two_step(cx: Cx, first: int, bias: ConstIn | None) -> None:
    """The integer layers just built for a chain without a float ``Add`` (its bias is the
    carrier of ``c``, see :func:`_integer_layer`) follow ORT's two roundings."""
    if bias is None or not bias.name.endswith("/post_scale"):
        return
    for n in cx.b.nodes[first:]:
        if n.op in ("conv2d", "depthwise_conv2d", "fully_connected"):
            n.numerics = TWO_STEP_NUMERICS


def conv_integer(cx: Cx) -> None:
    x = cx.val(0)
    _check_input_zp(cx, x, 2)
    w, bias = _integer_layer(cx, x, 1, 3, 0)
    if w.quant is None:
        x = integer_input(cx, x)
    first = len(cx.b.nodes)
    conv_core(cx, x, w, bias)
    _mark_two_step(cx, first, bias)


def matmul_integer(cx: Cx) -> None:
    a, b = cx.val(0), cx.val(1)
    _check_input_zp(cx, a, 2)
    if b.const is None or b.rank != 2:
        raise Unsupported("MatMulInteger with a non-constant or batched second operand")
    w, bias = _integer_layer(cx, a, 1, 3, 1)
    if w.quant is None:
        a = integer_input(cx, a)
    first = len(cx.b.nodes)
    fc_core(cx, a, w, bias, False, False, keep_num_dims=True)
    _mark_two_step(cx, first, bias)


#: QOperator ops by (domain, op type).
QOP_RULES: dict[tuple[str, str], Rule] = {
    ("", "QLinearConv"): Rule(qlinear_conv),
    ("", "QLinearMatMul"): Rule(qlinear_matmul),
    ("", "ConvInteger"): Rule(conv_integer),
    ("", "MatMulInteger"): Rule(matmul_integer),
    ("com.microsoft", "QGemm"): Rule(qgemm),
    ("com.microsoft", "QLinearAdd"): _binary("add"),
    ("com.microsoft", "QLinearMul"): _binary("mul"),
    ("com.microsoft", "QLinearAveragePool"): Rule(qlinear_avg_pool),
    ("com.microsoft", "QLinearGlobalAveragePool"): Rule(qlinear_global_avg_pool),
    ("com.microsoft", "QLinearSigmoid"): Rule(lambda cx: unary_core(cx, "logistic", cx.val(0))),
    ("com.microsoft", "QLinearLeakyRelu"): Rule(
        lambda cx: unary_core(cx, "leaky_relu", cx.val(0), LeakyReluAttrs(cx.f("alpha", 0.01)))
    ),
    ("com.microsoft", "QLinearSoftmax"): Rule(qlinear_softmax),
    ("com.microsoft", "QLinearConcat"): Rule(qlinear_concat),
}
