"""Lowering of ONNX nodes with ONNX Runtime's arithmetic (``Node.numerics`` "onnxruntime*").

ONNX Runtime (CPU execution provider, default graph optimizations) turns ``DequantizeLinear ->
op -> QuantizeLinear`` groups into integer operators (QLinearConv, QGemm, QLinearAdd,
QLinearAveragePool, ...) whose requantization is float32 arithmetic, not TFLite's fixed point,
leaves some groups in float (:func:`ort_plan`), and runs float ops with MLAS's own
approximations. This module computes, once at generation time, the float32 constants and
tables exactly as ORT computes them, and picks the ``mcu_*_ort_*`` kernels that reproduce ORT's
results bit for bit (each kernel's header states its rule; ``docs/kernels.md`` has the table):

====================  =========================================================================
conv2d                QLinearConv: ``acc = bias + sum (x - zp_x) * (w - zp_w)`` (int32),
depthwise_conv2d      ``y = sat(rne((float)acc * M[c]) + zp_y)`` with
                      ``M[c] = f32(f32(s_x * s_w[c]) / s_y)`` (``ComputeOutputScale``);
                      unfused: MLAS's float convolution (:func:`sgemm_stride_k`)
fully_connected       QGemm / QLinearMatMul: same, ``M[c] = f32(f32(f32(alpha * s_a) * s_b[c])
batch_matmul          / s_y)`` (alpha = 1 after import), per-column weight zero points
avg_pool2d            global window: ``sat(rne((float)(sum x - zp_x*N) * f32(s_x / f32(s_y *
                      N))) + zp_y)``; other windows: float dequantize, float sum, divide, then
                      ``nearbyintf(avg / s_y + zp_y)``
add, sub, mul         QLinearAdd (MLAS AVX2, two FMAs), QLinearMul (multiply then add);
                      unfused and Sub: DequantizeLinear, float op, QuantizeLinear
hard_sigmoid (float)  ``min(max(x * alpha + beta, 0), 1)`` (HardSwish: ``x *`` that, 1/6, 0.5)
logistic, tanh,       256-entry tables of MLAS's float functions (:func:`ort_lut`); float
leaky_relu, hard_*    tensors: MLAS's logistic / tanh in C
softmax               QLinearSoftmax (exp table, float sum); float: MLAS softmax
concat                per-input requantization tables (:func:`requant_table`)
erf (float)           MLAS erf
div (float)           ``a / b`` (IEEE division), broadcast
gelu (float)          ``(0.5 x) * (MLAS erf(x * f32(1/sqrt 2)) + 1)`` (tanh form: MLAS tanh)
mean                  DQ -> ReduceMean(H, W) -> Q: Eigen's SSE sum per row, divide, quantize
transpose_conv        DQ -> ConvTranspose -> Q in float (SGEMM with FMA, Col2im, bias)
resize_bilinear       DQ -> Resize(linear) -> Q in float (ORT's UpsampleBilinear weights)
prelu                 DQ -> PRelu -> Q in float (slope dequantized in float32)
layer_norm (float)    double row statistics (ORT's mean exactly; its variance not identified)
quantize (f32->s8)    QuantizeLinear: ``sat(rne(x / s) + zp)`` (float32 division)
====================  =========================================================================

``rne`` is round half to even. With ``--requant fixed-point`` (cores without an FPU) the ONNX
nodes are relabelled :data:`FIXED_POINT_NUMERICS` and lowered with integer-only kernels
(TFLite-style ones, ``mcu_*_ort_fixed_s8`` where those do not fit, and the tables above, which
are integer at run time); ``validate`` then reports the difference from ONNX Runtime.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mcuai import ops as _ops  # noqa: F401  (the op registry first: conv_common <-> ops cycle)
from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import (
    const_or_null,
    dims4,
    hw,
    per_channel_requant,
    scale_of,
    unsupported,
    zp_of,
)
from mcuai.lower.conv_common import bias_values, clamp_of, dims_struct
from mcuai.lower.program import Call, CArray, Raw, Struct, TensorRef, Value
from mcuai.quant.fixed_point import quantize_multiplier

#: ``Node.numerics`` of ONNX nodes: ONNX Runtime's float requantization (bit-exact kernels).
ORT_NUMERICS = "onnxruntime"

#: ``Node.numerics`` of ONNX nodes that ONNX Runtime does *not* fuse (its graph optimizer keeps
#: ``DequantizeLinear -> float op -> QuantizeLinear``; see :func:`ort_float_nodes`).
ORT_FLOAT_NUMERICS = "onnxruntime-float"

#: ``Node.numerics`` of fused ONNX nodes that ONNX Runtime computes on activations it converted
#: from int8 to uint8 (``QDQS8ToU8Transformer``): same integers except where a zero point enters
#: float arithmetic (QLinearAdd, QLinearAveragePool), see :func:`ort_plan`.
ORT_U8_NUMERICS = "onnxruntime-u8"

#: ``Node.numerics`` of an integer layer that a QOperator model requantizes itself
#: (``ConvInteger/MatMulInteger -> Cast -> Mul(c) [-> Relu/Clip] -> QuantizeLinear``): ORT runs
#: the float nodes one by one, ``sat(rne(f32(f32(acc) * c) / s_y) + zp)``; the frontend keeps
#: ``c`` as the scale of the layer's all-zero int32 bias (``mcu_quant_ort.post_scale``).
ORT_TWO_STEP_NUMERICS = "onnxruntime-two-step"

#: ``Node.numerics`` of the float ``mean`` of a GlobalAveragePool: ORT sums with MLAS's
#: global pooling kernel (``mcu_global_avgpool_ort_f32``), not with ReduceMean's Eigen order.
ORT_GLOBAL_POOL_NUMERICS = "onnxruntime-global-pool"

#: Every ``Node.numerics`` lowered with ONNX Runtime's rules.
ORT_ALL = (
    "onnxruntime",
    "onnxruntime-float",
    "onnxruntime-u8",
    "onnxruntime-two-step",
    "onnxruntime-global-pool",
)

#: ``Node.numerics`` of ONNX nodes lowered with the integer-only (TFLite-style, fixed-point
#: multiplier) kernels: ``--requant fixed-point``.
FIXED_POINT_NUMERICS = "onnxruntime-fixed-point"

#: Values of the ``--requant`` option.
REQUANT_MODES = ("float", "fixed-point")

f32 = np.float32

#: The unit holding the shared helpers (mcu_requant_ort.h) every ORT kernel includes.
_REQ = "mcu_requant_ort"


def set_requant(graph: Graph, requant: str) -> Graph:
    """Apply the ``--requant`` choice: ``"float"`` (default) keeps ORT's arithmetic;
    ``"fixed-point"`` relabels every ONNX Runtime node :data:`FIXED_POINT_NUMERICS` (the op
    lowerings then choose their integer-only kernels)."""
    if requant not in REQUANT_MODES:
        raise ValueError(f"--requant must be one of {', '.join(REQUANT_MODES)}, not '{requant}'")
    if requant == "fixed-point":
        for n in graph.nodes:
            if n.numerics in ORT_ALL:
                n.numerics = FIXED_POINT_NUMERICS
    return graph


def rne(x: np.ndarray | float) -> np.ndarray:
    """Round half to even (numpy's ``rint``), as ORT's ``nearbyintf`` / ``cvtps2dq``."""
    return np.asarray(np.rint(np.asarray(x)))


def conv_scales(s_x: float, s_w: np.ndarray, s_y: float) -> np.ndarray:
    """QLinearConv's ``output_scales[c] = X_scale * W_scale[c] / Y_scale`` in float32, left to
    right (each operation rounded to float32)."""
    prod = (f32(s_x) * np.asarray(s_w, np.float32).reshape(-1)).astype(np.float32)
    return (prod / f32(s_y)).astype(np.float32)


def gemm_scales(s_a: float, s_b: np.ndarray, s_y: float, alpha: float = 1.0) -> np.ndarray:
    """QGemm's ``alpha * a_scale * b_scale[c] / y_scale`` in float32, left to right."""
    a = f32(f32(alpha) * f32(s_a))
    prod = (a * np.asarray(s_b, np.float32).reshape(-1)).astype(np.float32)
    return (prod / f32(s_y)).astype(np.float32)


def global_pool_scale(s_x: float, s_y: float, n: int) -> np.float32:
    """``ScaleInput / (ScaleOutput * (float)ImageSize)`` of MlasQLinearGlobalAveragePool."""
    return f32(f32(s_x) / f32(f32(s_y) * f32(n)))


def add_constants(
    s_a: float, zp_a: int, s_b: float, zp_b: int, s_y: float, zp_y: int
) -> tuple[np.float32, np.float32, np.float32]:
    """``(ratio_a, ratio_b, fixed)`` of MLAS's QLinearAdd kernel, float32:
    ``ratio = s / s_y``; ``fixed = (float)zp_y - (ratio_a * zp_a + ratio_b * zp_b)`` where the
    inner expression is compiled (gcc, -mfma, default contraction) as
    ``fma(ratio_a, zp_a, ratio_b * zp_b)`` (measured against ORT 1.32 on all 65536 input pairs
    of several scale sets; tests/test_onnx_numerics checks the kernel end to end)."""
    ra = f32(f32(s_a) / f32(s_y))
    rb = f32(f32(s_b) / f32(s_y))
    prod_b = f32(rb * f32(zp_b))
    inner = _fma(ra, f32(zp_a), prod_b)
    fixed = f32(f32(zp_y) - inner)
    return ra, rb, fixed


def _fma(x: np.float32, y: np.float32, z: np.float32) -> np.float32:
    """float32 ``fma(x, y, z)``: the exact ``x * y + z`` rounded once to float32 (nearest,
    ties to even), computed with exact rationals."""
    from fractions import Fraction

    exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    f = f32(float(exact))
    cands = [np.nextafter(f, f32(-np.inf)), f, np.nextafter(f, f32(np.inf))]

    def key(c: np.float32) -> tuple[Fraction, int]:
        odd = int(np.array(c, np.float32).view(np.int32)) & 1
        return (abs(Fraction(float(c)) - exact), odd)

    return f32(min(cands, key=key))


def quant_ort(node: Node, scales: np.ndarray, weights_offset: int) -> Struct:
    """``mcu_quant_ort`` {scale, step, weights_offset, post_scale, out_scale}; a node with
    :data:`ORT_TWO_STEP_NUMERICS` gets ``post_scale = c`` (its bias's scale) and ``out_scale =
    s_y`` instead of one folded scale."""
    post: Value = Raw("NULL")
    out_scale = 0.0
    if node.numerics == ORT_TWO_STEP_NUMERICS:
        b, y = node.opt_input(2), node.output
        if b is None or b.quant is None or b.data is None or np.any(b.data != 0):
            raise unsupported(node, "two-step requantization without its scale carrier")
        c = b.quant.scale.reshape(-1).astype(np.float32)
        if c.size not in (1, scales.size) and scales.size != 1:
            raise unsupported(node, f"{c.size} scales c for {scales.size} channels")
        if c.size > 1 and scales.size == 1:
            scales = np.broadcast_to(scales, c.shape)
        elif c.size == 1 and scales.size > 1:
            c = np.broadcast_to(c, scales.shape).astype(np.float32)
        post = CArray("post_scale", c, "c of Cast -> Mul(c) (ORT: two float roundings)")
        out_scale = float(f32(scale_of(node, y)))
    per_channel = scales.size > 1
    return Struct(
        "mcu_quant_ort",
        [
            ("scale", CArray("scale", scales.astype(np.float32), "ORT float32 requant scale")),
            ("step", 1 if per_channel else 0),
            ("weights_offset", weights_offset),
            ("post_scale", post),
            ("out_scale", out_scale),
        ],
    )


def _bias_arg(node: Node, b: Tensor | None) -> Value:
    """The int32 bias argument; ``NULL`` for a two-step node, whose all-zero bias only carries
    ``c`` (:func:`quant_ort` emits it as ``post_scale``)."""
    if node.numerics == ORT_TWO_STEP_NUMERICS:
        return Raw("NULL")
    return const_or_null(node, b, "bias")


def _weights(
    node: Node, w: Tensor, channels: int, per_channel_zp: bool = False
) -> tuple[np.ndarray, int]:
    """Weight scales (1 or ``channels``) and ``-zp_w``: ORT's QLinearConv needs one zero point
    for every channel (it enforces it); QGemm takes one per column (``per_channel_zp``: the
    caller passes them, the returned offset is then unused)."""
    if w.data is None:
        raise unsupported(node, "the weights must be a constant")
    if w.dtype is not DType.INT8 or w.quant is None:
        raise unsupported(node, f"{w.dtype.value} weights (quantized int8 expected)")
    zps = np.unique(w.quant.zero_point.reshape(-1))
    if zps.size != 1 and not per_channel_zp:
        raise unsupported(node, "per-channel weight zero points that differ between channels")
    scales = w.quant.scale.reshape(-1).astype(np.float32)
    if scales.size not in (1, channels):
        raise unsupported(node, f"{scales.size} weight scales for {channels} output channels")
    return scales, -int(zps[0])


def _int8_io(node: Node, *ts: Tensor) -> bool:
    return all(t.dtype is DType.INT8 and t.quant is not None for t in ts)


def _conv_params(node: Node, x: Tensor, y: Tensor, mult: int) -> Struct:
    a = node.attrs
    lo, hi = clamp_of(node, a.clamp)
    return Struct(
        "mcu_conv_params",
        [
            ("input_offset", -zp_of(node, x)),
            ("output_offset", zp_of(node, y)),
            ("stride", hw(a.stride)),
            ("padding", hw((a.pads[0], a.pads[2]))),
            ("dilation", hw(a.dilation)),
            ("ch_mult", mult),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )


def _lower_conv(node: Node, depthwise: bool) -> list[Call] | None:
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    if not _int8_io(node, x, y):
        return None
    cout = y.shape[-1]
    scales, w_off = _weights(node, w, cout)
    assert w.data is not None
    bias_values(node, b, cout, (DType.INT32,))  # checks: constant int32 bias of cout values
    groups = 1 if depthwise else x.shape[-1] // w.shape[-1]
    if node.numerics == ORT_FLOAT_NUMERICS and not depthwise and groups == 1:
        return _lower_conv_float(node, scales)
    m = conv_scales(scale_of(node, x), scales, scale_of(node, y))
    mult = node.attrs.multiplier if depthwise else 1
    if depthwise and mult * x.shape[-1] != cout:
        raise unsupported(node, f"{cout} output channels for multiplier {mult}")
    kernel = "mcu_dwconv2d_ort_s8" if depthwise else "mcu_conv2d_ort_s8"
    args: list[Value] = [
        _conv_params(node, x, y, mult),
        quant_ort(node, m, w_off),
        dims4(x),
        TensorRef(x),
        dims4(w),
        CArray("weights", w.data.reshape(-1)),
        _bias_arg(node, b),
        dims4(y),
        TensorRef(y, out=True),
    ]
    return [Call(kernel, (kernel, _REQ), args, comment="ONNX Runtime float requantization")]


def sgemm_stride_k(n: int, k: int, trans_a: bool = False) -> int:
    """MLAS ``MlasSgemmOperation``'s reduction block for an ``M x N x K`` GEMM: start from
    StrideN = StrideK = 128; when ``N >= K`` halve StrideK (doubling StrideN) while
    ``StrideK / 2 >= K``; otherwise, only when A is not transposed, double StrideK (halving
    StrideN) while ``StrideN > 16`` and ``StrideN / 2 >= N``. Checked against ORT 1.32's float
    Conv (A not transposed) and ConvTranspose (``trans_a``: W^T X) bit for bit."""
    sn, sk = 128, 128
    if n >= k:
        while sk // 2 >= k:
            sn, sk = sn * 2, sk // 2
    elif not trans_a:
        while sn > 16 and sn // 2 >= n:
            sn, sk = sn // 2, sk * 2
    return sk


def _conv_float_quant(node: Node, w_scales: np.ndarray, stride_k: int) -> Struct:
    """``mcu_conv_ort_float_quant`` of a float (unfused) convolution: DequantizeLinear
    parameters of input, weights and bias (the bias dequantized here, in float32)."""
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    assert w.data is not None and w.quant is not None
    zps = w.quant.zero_point.reshape(-1).astype(np.int32)
    if zps.size not in (1, w_scales.size):
        raise unsupported(node, f"{zps.size} weight zero points for {w_scales.size} scales")
    w_off = np.broadcast_to(-zps, (w_scales.size,)).astype(np.int32)
    bias: Value = Raw("NULL")
    if b is not None:
        if b.data is None:
            raise unsupported(node, "the bias must be a constant")
        cout = y.shape[-1]
        if b.quant is not None:
            sb = b.quant.scale.reshape(-1).astype(np.float32)
            zb = b.quant.zero_point.reshape(-1).astype(np.int64)
        else:  # the scale ONNX Runtime's quantizer gives the bias
            sb = (f32(scale_of(node, x)) * w_scales).astype(np.float32)
            zb = np.zeros(1, np.int64)
        q = (b.data.reshape(-1).astype(np.int64) - zb).astype(np.float32)
        bf = (q * np.broadcast_to(sb, (cout,))).astype(np.float32)
        bias = CArray("bias_f32", bf, "DequantizeLinear(bias), float32")
    return Struct(
        "mcu_conv_ort_float_quant",
        [
            ("input_scale", float(f32(scale_of(node, x)))),
            ("output_scale", float(f32(scale_of(node, y)))),
            ("weight_scale", CArray("weight_scale", w_scales, "DequantizeLinear(weights) scale")),
            ("weight_scale_step", 1 if w_scales.size > 1 else 0),
            ("weight_offset", CArray("weight_offset", w_off, "-zp_w")),
            ("bias", bias),
            ("stride_k", stride_k),
        ],
    )


def _lower_conv_float(node: Node, w_scales: np.ndarray) -> list[Call]:
    """A DQ -> Conv -> Q group ORT leaves in float: ``mcu_conv2d_ort_float_s8`` reproduces
    MLAS's float convolution (im2col order, K blocks of 128 summed with FMA, then the bias)."""
    x, w, y = node.input(0), node.input(1), node.output
    assert w.data is not None
    stride_k = sgemm_stride_k(y.shape[1] * y.shape[2], int(np.prod(w.shape[1:])))
    args: list[Value] = [
        _conv_params(node, x, y, 1),
        _conv_float_quant(node, w_scales, stride_k),
        dims4(x),
        TensorRef(x),
        dims4(w),
        CArray("weights", w.data.reshape(-1)),
        dims4(y),
        TensorRef(y, out=True),
    ]
    kernel = "mcu_conv2d_ort_float_s8"
    comment = "ORT leaves this group in float: DQ, MLAS float Conv, Q"
    return [Call(kernel, (kernel, _REQ), args, comment=comment)]


def _lower_transpose_conv(node: Node) -> list[Call] | None:
    """DQ -> ConvTranspose -> Q, which ORT runs in float (SGEMM of W^T and X, Col2im, bias):
    ``mcu_tconv2d_ort_float_s8``."""
    x, w, y = node.input(0), node.input(1), node.output
    if not _int8_io(node, x, y):
        return None
    cout = y.shape[-1]
    scales, _ = _weights(node, w, cout)
    assert w.data is not None
    a = node.attrs
    lo, hi = clamp_of(node, a.clamp)
    params = Struct(
        "mcu_conv_params",
        [
            ("input_offset", -zp_of(node, x)),
            ("output_offset", zp_of(node, y)),
            ("stride", hw(a.stride)),
            ("padding", hw((a.pads[0], a.pads[2]))),
            ("dilation", hw((1, 1))),
            ("ch_mult", 1),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    # ORT's GEMM: M = Cout*Kh*Kw, N = input pixels, K = Cin
    stride_k = sgemm_stride_k(x.shape[1] * x.shape[2], x.shape[3], trans_a=True)
    args: list[Value] = [
        params,
        _conv_float_quant(node, scales, stride_k),
        dims4(x),
        TensorRef(x),
        dims4(w),
        CArray("weights", w.data.reshape(-1)),
        dims4(y),
        TensorRef(y, out=True),
    ]
    kernel = "mcu_tconv2d_ort_float_s8"
    files = (kernel, "mcu_conv2d_ort_float_s8", _REQ)
    comment = "ORT runs ConvTranspose in float: DQ, SGEMM + Col2im, Q"
    return [Call(kernel, files, args, comment=comment)]


def _lower_fc(node: Node) -> list[Call] | None:
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    if not _int8_io(node, x, y):
        return None
    nout, nin = w.shape
    scales, w_off = _weights(node, w, nout, per_channel_zp=True)
    assert w.data is not None and w.quant is not None
    if w.quant.per_axis and w.quant.axis != 0:
        raise unsupported(node, "per-channel weights must be quantized along axis 0")
    zps = w.quant.zero_point.reshape(-1).astype(np.int32)
    offsets: Value = Raw("NULL")
    if np.unique(zps).size > 1:
        if zps.size != nout:
            raise unsupported(node, f"{zps.size} weight zero points for {nout} outputs")
        offsets = CArray("weights_offsets", -zps, "-zp_w per output channel")
    bias_values(node, b, nout, (DType.INT32,))
    m = gemm_scales(scale_of(node, x), scales, scale_of(node, y))
    lo, hi = clamp_of(node, node.attrs.clamp)
    params = Struct(
        "mcu_fc_ort_params",
        [
            ("input_offset", -zp_of(node, x)),
            ("output_offset", zp_of(node, y)),
            ("act_min", lo),
            ("act_max", hi),
            ("weights_offsets", offsets),
        ],
    )
    batch = x.size // nin
    args: list[Value] = [
        params,
        quant_ort(node, m, w_off),
        dims_struct(batch, 1, 1, nin),
        TensorRef(x),
        dims_struct(nout, 1, 1, nin),
        CArray("weights", w.data.reshape(-1)),
        _bias_arg(node, b),
        dims_struct(batch, 1, 1, nout),
        TensorRef(y, out=True),
    ]
    return [Call("mcu_fc_ort_s8", ("mcu_fc_ort_s8", _REQ), args, comment="ORT QGemm rule")]


def _lower_avg_pool_float(node: Node) -> list[Call]:
    """ORT's float AveragePool: MLAS's vector kernel, or its NCHWc form when the channels are
    a multiple of 16 (``mcu_avgpool2d_ort_f32``)."""
    from mcuai.lower.float_kernels import act_params

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
    nchwc = int(x.shape[-1] % 16 == 0)
    args: list[Value] = [params, nchwc, dims4(x), TensorRef(x), dims4(y), TensorRef(y, out=True)]
    kernel = "mcu_avgpool2d_ort_f32"
    return [Call(kernel, (kernel, "mcu_clamp_f32"), args, comment="ORT float AveragePool")]


def _unfused_pool_mode(node: Node) -> int:
    """``mcu_avgpool2d_ort_s8``'s ``unfused``: 0 fused (QLinearAveragePool); for a float
    AveragePool between DQ and Q, 2 when ORT's NchwcTransformer rewrites it (channels a
    multiple of 16: its NCHWc block on AVX-512 hosts, and a multiple of AVX2's 8), else 1
    (MLAS's vector pooling kernel). Channel counts that are multiples of 8 but not of 16 follow
    AVX-512 hosts (the vector kernel); an AVX2-only host pools them in NCHWc."""
    if node.numerics != ORT_FLOAT_NUMERICS:
        return 0
    return 2 if node.input(0).shape[-1] % 16 == 0 else 1


def _lower_avg_pool(node: Node) -> list[Call] | None:
    x, y = node.input(0), node.output
    if x.dtype is DType.FLOAT32 and y.dtype is DType.FLOAT32:
        return _lower_avg_pool_float(node)
    if not _int8_io(node, x, y):
        return None
    a = node.attrs
    _, h, wd, _ = x.shape
    is_global = tuple(a.kernel) == (h, wd) and not any(a.pads)
    lo, hi = clamp_of(node, a.clamp)
    s_x, s_y = scale_of(node, x), scale_of(node, y)
    params = Struct(
        "mcu_avgpool_ort_params",
        [
            ("global", int(is_global)),
            ("unfused", _unfused_pool_mode(node)),
            ("input_zp", zp_of(node, x)),
            ("output_zp", zp_of(node, y)),
            ("offset", 128 if node.numerics == ORT_U8_NUMERICS else 0),
            ("input_scale", float(f32(s_x))),
            ("output_scale", float(f32(s_y))),
            ("scale", float(global_pool_scale(s_x, s_y, h * wd))),
            ("stride", hw(a.stride)),
            ("padding", hw((a.pads[0], a.pads[2]))),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    window = Struct("mcu_dims", [("n", 1), ("h", a.kernel[0]), ("w", a.kernel[1]), ("c", 1)])
    args: list[Value] = [params, dims4(x), TensorRef(x), window, dims4(y), TensorRef(y, out=True)]
    rule = "QLinearGlobalAveragePool" if is_global else "QLinearAveragePool (float)"
    if node.numerics == ORT_FLOAT_NUMERICS and not is_global:
        rule = "DequantizeLinear, MLAS float AveragePool, QuantizeLinear"
    return [Call("mcu_avgpool2d_ort_s8", ("mcu_avgpool2d_ort_s8", _REQ), args, comment=rule)]


def _binary_call(node: Node, base: str, params: Struct, rule: str) -> list[Call]:
    """The add/mul kernel call: flat (same shapes, or one operand a single element), else
    ORT's general broadcast loop over the rows of the :func:`bcast_struct` walk."""
    from mcuai.lower.elementwise import bcast_struct

    a_t, b_t, y = node.input(0), node.input(1), node.output
    files = (base + "_s8", "mcu_binary_bcast", _REQ)
    if a_t.size in (y.size, 1) and b_t.size in (y.size, 1):
        args: list[Value] = [
            params,
            a_t.size,
            TensorRef(a_t),
            b_t.size,
            TensorRef(b_t),
            y.size,
            TensorRef(y, out=True),
        ]
        return [Call(base + "_s8", files, args, comment=rule)]
    walk = bcast_struct(node, a_t, b_t, y)
    args = [params, walk, TensorRef(a_t), TensorRef(b_t), TensorRef(y, out=True)]
    return [Call(base + "_bcast_s8", files, args, comment=rule + ", broadcast")]


def _lower_add(node: Node) -> list[Call] | None:
    a_t, b_t, y = node.input(0), node.input(1), node.output
    if not _int8_io(node, a_t, b_t, y):
        return None
    s_a, s_b, s_y = scale_of(node, a_t), scale_of(node, b_t), scale_of(node, y)
    z_a, z_b, z_y = zp_of(node, a_t), zp_of(node, b_t), zp_of(node, y)
    off = 128 if node.numerics == ORT_U8_NUMERICS else 0
    ra, rb, fixed = add_constants(s_a, z_a + off, s_b, z_b + off, s_y, z_y + off)
    lo, hi = clamp_of(node, node.attrs.clamp)
    # Sub: ORT has no QLinearSub, DQ -> Sub -> Q stays float: the add kernel's float rule with
    # the second operand's scale negated (fa + (-fb) == fa - fb exactly)
    fused = node.numerics != ORT_FLOAT_NUMERICS and node.op == "add"
    sign = f32(-1.0) if node.op == "sub" else f32(1.0)
    params = Struct(
        "mcu_add_ort_params",
        [
            ("fused", int(fused)),
            ("offset", off),
            ("ratio_a", float(ra)),
            ("ratio_b", float(rb)),
            ("fixed", float(fixed)),
            ("scale_a", float(f32(s_a))),
            ("scale_b", float(sign * f32(s_b))),
            ("scale_y", float(f32(s_y))),
            ("zp_a", z_a),
            ("zp_b", z_b),
            ("zp_y", z_y),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    rule = "QLinearAdd" if fused else f"DequantizeLinear, float {node.op}, QuantizeLinear"
    return _binary_call(node, "mcu_add_ort", params, rule)


def _lower_mul(node: Node) -> list[Call] | None:
    a_t, b_t, y = node.input(0), node.input(1), node.output
    if not _int8_io(node, a_t, b_t, y):
        return None
    s_a, s_b, s_y = scale_of(node, a_t), scale_of(node, b_t), scale_of(node, y)
    lo, hi = clamp_of(node, node.attrs.clamp)
    fused = node.numerics != ORT_FLOAT_NUMERICS
    ratio = f32(f32(f32(s_a) * f32(s_b)) / f32(s_y))
    params = Struct(
        "mcu_mul_ort_params",
        [
            ("fused", int(fused)),
            ("offset", 128 if node.numerics == ORT_U8_NUMERICS else 0),
            ("ratio", float(ratio)),
            ("scale_a", float(f32(s_a))),
            ("scale_b", float(f32(s_b))),
            ("scale_y", float(f32(s_y))),
            ("zp_a", zp_of(node, a_t)),
            ("zp_b", zp_of(node, b_t)),
            ("zp_y", zp_of(node, y)),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    rule = "QLinearMul" if fused else "DequantizeLinear, float Mul, QuantizeLinear"
    return _binary_call(node, "mcu_mul_ort", params, rule)


def requant_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """int8 table (index ``q + 128``) of ``Q_out(DQ_in(q))`` as ORT computes it (QLinearConcat's
    per-input lookup table, and DQ -> Concat -> Q per element): ``x = (float)(q - zp_in) *
    s_in``, ``sat(rne(x / s_out) + zp_out)``, all float32."""
    q = np.arange(-128, 128)
    x = ((q - zp_in).astype(np.float32) * f32(s_in)).astype(np.float32)
    r = rne((x / f32(s_out)).astype(np.float32).astype(np.float64)) + zp_out
    table: np.ndarray = np.clip(r, -128, 127).astype(np.int8)
    return table


def _lower_concat(node: Node) -> list[Call] | None:
    """Concat whose inputs are quantized differently from its output (QLinearConcat): each such
    input is copied through its ``requant_table``; the others are plain copies."""
    from mcuai.lower.movement import contiguous_strides, copy_call, copy_plan, elem_size

    y = node.output
    xs = [t for t in node.inputs if t is not None]
    if y.dtype is not DType.INT8 or y.quant is None or y.quant.per_axis:
        return None
    if all(y.quant.same_as(t.quant) for t in xs):
        return None  # plain copies: the op's own lowering
    es = elem_size(node, y, *xs)
    out_strides = contiguous_strides(y.shape)
    calls: list[Call] = []
    offset = 0
    for k, t in enumerate(xs):
        axis = node.attrs.axis
        plan = copy_plan(
            t.shape,
            contiguous_strides(t.shape),
            out_strides,
            es,
            out_offset=offset * out_strides[axis],
        )
        offset += t.shape[axis]
        if plan is None:
            continue
        what = f"concat input {k}"
        call = copy_call(node, t, y, plan, what)
        if y.quant.same_as(t.quant):
            calls.append(call)
            continue
        if t.dtype is not DType.INT8:
            raise unsupported(node, f"input '{t.name}' is not int8")
        table = requant_table(scale_of(node, t), zp_of(node, t), scale_of(node, y), zp_of(node, y))
        args: list[Value] = [
            call.args[0],
            CArray("lut", table, "ORT QLinearConcat requantization table, index q + 128"),
            TensorRef(t),
            TensorRef(y, out=True),
        ]
        files = ("mcu_copy_lut_s8", "mcu_copy")
        calls.append(Call("mcu_copy_lut_s8", files, args, comment=f"{what} requantized (ORT)"))
    return calls


def _lower_batch_matmul(node: Node) -> list[Call] | None:
    """QLinearMatMul / DQ -> MatMul -> Q of two int8 tensors: ``mcu_batch_matmul_ort_s8``
    (batches broadcast when one operand has a single one)."""
    a_t, b_t, y = node.input(0), node.input(1), node.output
    if not _int8_io(node, a_t, b_t, y):
        return None
    m, k = a_t.shape[-2:]
    n = b_t.shape[-1]
    batch = int(np.prod(y.shape[:-2], dtype=np.int64))
    steps = []
    for t, per in ((a_t, m * k), (b_t, k * n)):
        tb = int(np.prod(t.shape[:-2], dtype=np.int64))
        if tb not in (1, batch):
            raise unsupported(node, f"batch broadcast of {list(t.shape)} to {list(y.shape)}")
        steps.append(per if tb == batch and batch > 1 else 0)
    bq = b_t.quant
    assert bq is not None
    if bq.per_axis and (bq.axis is None or bq.axis % b_t.rank != b_t.rank - 1):
        raise unsupported(node, "second operand quantized along another axis than its columns")
    sb = bq.scale.reshape(-1).astype(np.float32)
    zb = bq.zero_point.reshape(-1).astype(np.int32)
    scales = conv_scales(scale_of(node, a_t), sb, scale_of(node, y))
    clamp = getattr(node.attrs, "clamp", None)
    lo, hi = (-128, 127) if clamp is None else clamp_of(node, clamp)
    params = Struct(
        "mcu_batch_matmul_ort_params",
        [
            ("batch", batch),
            ("m", m),
            ("k", k),
            ("n", n),
            ("a_batch_step", steps[0]),
            ("b_batch_step", steps[1]),
            ("a_offset", -zp_of(node, a_t)),
            ("b_offset", CArray("b_offset", -zb, "-zp_b per column")),
            ("b_offset_step", 1 if zb.size > 1 else 0),
            ("output_offset", zp_of(node, y)),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    args: list[Value] = [
        params,
        quant_ort(node, scales, 0),
        TensorRef(a_t),
        TensorRef(b_t),
        TensorRef(y, out=True),
    ]
    kernel = "mcu_batch_matmul_ort_s8"
    return [Call(kernel, (kernel, _REQ), args, comment="ORT QLinearMatMul")]


def _lower_erf(node: Node) -> list[Call] | None:
    """ORT's float Erf (MLAS's FMA kernel): ``mcu_erf_ort_f32``."""
    x, y = node.input(0), node.output
    if x.dtype is not DType.FLOAT32 or y.dtype is not DType.FLOAT32:
        return None
    args: list[Value] = [y.size, TensorRef(x), TensorRef(y, out=True)]
    return [Call("mcu_erf_ort_f32", ("mcu_erf_ort_f32",), args, comment="ORT float Erf (MLAS)")]


def _lower_layer_norm(node: Node) -> list[Call] | None:
    """Float LayerNormalization (``mcu_layer_norm_f32``: double row statistics, as ORT's
    mean); ``scale`` and ``bias`` are broadcast to the normalised shape here."""
    x, y = node.input(0), node.output
    if x.dtype is not DType.FLOAT32 or y.dtype is not DType.FLOAT32:
        return None
    tail = x.shape[node.attrs.axis :]
    norm = int(np.prod(tail)) if tail else 1

    def full(t: Tensor | None, hint: str) -> Value:
        if t is None:
            return Raw("NULL")
        if t.data is None or t.dtype is not DType.FLOAT32:
            raise unsupported(node, f"LayerNormalization {hint} must be a float32 constant")
        return CArray(hint, np.broadcast_to(t.data, tail).astype(np.float32).reshape(-1))

    args: list[Value] = [
        x.size // max(norm, 1),
        norm,
        float(f32(node.attrs.epsilon)),
        full(node.input(1), "scale"),
        full(node.opt_input(2), "bias"),
        TensorRef(x),
        TensorRef(y, out=True),
    ]
    kernel = "mcu_layer_norm_f32"
    return [Call(kernel, (kernel,), args, comment="float LayerNormalization")]


def _lower_mean(node: Node) -> list[Call] | None:
    """DQ -> ReduceMean(axes 2, 3 of NCHW: IR axes 1, 2 when the frontend made the tensor
    NHWC, 2, 3 when it kept NCHW) -> Q, which ORT runs in float (Eigen's 4-lane sum per row,
    divide, QuantizeLinear): ``mcu_mean_ort_s8``. Other reductions keep the op's own (TFLite)
    kernel. (A 4-D ONNX tensor kept in its layout and reduced over its axes 1, 2 is read as
    NHWC too: the same mean, ORT's summation order for its other reduction path unverified.)"""
    x, y = node.input(0), node.output
    axes = tuple(node.attrs.axes)
    floats = x.dtype is DType.FLOAT32 and y.dtype is DType.FLOAT32
    if not (floats or _int8_io(node, x, y)) or len(x.shape) != 4 or axes not in ((1, 2), (2, 3)):
        return None
    channels_last = axes == (1, 2)  # NHWC; (2, 3): the model's NCHW kept as it is
    n, h, w, c = x.shape if channels_last else (x.shape[0], *x.shape[2:], x.shape[1])
    if floats and node.numerics == ORT_GLOBAL_POOL_NUMERICS:
        kg = "mcu_global_avgpool_ort_f32"
        nchwc = int(c % 16 == 0)  # ORT's NchwcTransformer (AVX-512 block), as for AveragePool
        gargs: list[Value] = [nchwc, int(channels_last), n, h * w, c, TensorRef(x)]
        gargs.append(TensorRef(y, out=True))
        return [Call(kg, (kg,), gargs, comment="ORT float GlobalAveragePool (MLAS pooling)")]
    if floats:
        kf = "mcu_mean_ort_f32"
        fargs: list[Value] = [int(channels_last), n, h * w, c, TensorRef(x)]
        fargs.append(TensorRef(y, out=True))
        return [Call(kf, (kf,), fargs, comment="ORT float ReduceMean (Eigen sum)")]
    params = Struct(
        "mcu_mean_ort_params",
        [
            ("scale_x", float(f32(scale_of(node, x)))),
            ("scale_y", float(f32(scale_of(node, y)))),
            ("zp_x", zp_of(node, x)),
            ("zp_y", zp_of(node, y)),
            ("act_min", -128),
            ("act_max", 127),
        ],
    )
    args: list[Value] = [params, int(channels_last), n, h * w, c, TensorRef(x)]
    args.append(TensorRef(y, out=True))
    kernel = "mcu_mean_ort_s8"
    rule = "DequantizeLinear, float ReduceMean (Eigen sum), QuantizeLinear"
    return [Call(kernel, (kernel, _REQ), args, comment=rule)]


def _lower_prelu(node: Node) -> list[Call] | None:
    """DQ -> PRelu -> Q, which ORT runs in float: ``mcu_prelu_ort_s8`` with the slope's
    DequantizeLinear ``(float)(q - zp) * s`` computed here in float32, as ORT computes it."""
    from mcuai.lower.elementwise import bcast_struct

    x, a, y = node.input(0), node.input(1), node.output
    if not _int8_io(node, x, y) or a.data is None:
        return None
    if a.dtype is DType.FLOAT32:
        alpha = np.asarray(a.data, np.float32)
    elif a.quant is not None and a.dtype.is_integer:
        q = np.asarray(a.data, np.int64)
        scale, zp = a.quant.scale, a.quant.zero_point
        if a.quant.axis is not None:
            shape = [1] * q.ndim
            shape[a.quant.axis] = -1
            scale, zp = scale.reshape(shape), zp.reshape(shape)
        alpha = ((q - zp).astype(np.float32) * scale.astype(np.float32)).astype(np.float32)
    else:
        return None
    params = Struct(
        "mcu_prelu_ort_params",
        [
            ("scale_x", float(f32(scale_of(node, x)))),
            ("scale_y", float(f32(scale_of(node, y)))),
            ("zp_x", zp_of(node, x)),
            ("zp_y", zp_of(node, y)),
        ],
    )
    slopes = CArray("alpha", np.broadcast_to(alpha, a.shape).reshape(-1), "DequantizeLinear(slope)")
    args: list[Value] = [params, bcast_struct(node, x, a, y), TensorRef(x), slopes]
    args.append(TensorRef(y, out=True))
    kernel = "mcu_prelu_ort_s8"
    rule = "DequantizeLinear, float PRelu, QuantizeLinear"
    return [Call(kernel, (kernel, "mcu_binary_bcast", _REQ), args, comment=rule)]


def ort_bilinear_tables(
    n_in: int, n_out: int, align_corners: bool, half_pixel: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i1, i2, d1, d2) per output index as ORT's ``SetupUpsampleBilinear`` computes them in
    float32, with the scale ``n_out / n_in`` (float32; what ORT derives from ``sizes``, and
    equal to the ``scales`` value of the usual integer factors)."""
    scale = f32(f32(n_out) / f32(n_in))
    i1 = np.empty(n_out, np.int32)
    i2 = np.empty(n_out, np.int32)
    d1 = np.empty(n_out, np.float32)
    d2 = np.empty(n_out, np.float32)
    for o in range(n_out):
        if scale == f32(1):
            v = f32(o)
        elif half_pixel:
            v = f32(f32(f32(o) + f32(0.5)) / scale) - f32(0.5)
        elif align_corners:
            v = f32(0) if n_out == 1 else f32(f32(f32(o) * f32(n_in - 1)) / f32(n_out - 1))
        else:
            v = f32(f32(o) / scale)
        v = f32(max(f32(0), min(f32(v), f32(n_in - 1))))
        a = min(int(v), n_in - 1)
        b = min(a + 1, n_in - 1)
        i1[o], i2[o] = a, b
        d1[o], d2[o] = (f32(0.5), f32(0.5)) if a == b else (abs(v - f32(a)), abs(v - f32(b)))
    return i1, i2, d1, d2


def _lower_resize_bilinear(node: Node) -> list[Call] | None:
    """DQ -> Resize(linear) -> Q, which ORT runs in float: ``mcu_resize_bilinear_ort_s8``."""
    x, y = node.input(0), node.output
    a = node.attrs
    floats = x.dtype is DType.FLOAT32 and y.dtype is DType.FLOAT32
    if not (floats or _int8_io(node, x, y)) or (a.align_corners and a.half_pixel_centers):
        return None
    _, h, w, _ = x.shape
    oh, ow = a.size
    ty = ort_bilinear_tables(h, oh, a.align_corners, a.half_pixel_centers)
    tx = ort_bilinear_tables(w, ow, a.align_corners, a.half_pixel_centers)
    fields: list[tuple[str, Value]] = []
    for axis, (i1, i2, _d1, _d2) in (("y", ty), ("x", tx)):
        fields += [(axis + "1", CArray(axis + "1", i1)), (axis + "2", CArray(axis + "2", i2))]
    fields += [("dy1", CArray("dy1", ty[2])), ("dy2", CArray("dy2", ty[3]))]
    fields += [("dx1", CArray("dx1", tx[2])), ("dx2", CArray("dx2", tx[3]))]
    order = ["y1", "y2", "dy1", "dy2", "x1", "x2", "dx1", "dx2"]
    named = dict(fields)
    params = Struct(
        "mcu_resize_bilinear_ort_params",
        [(k, named[k]) for k in order]
        + [
            ("scale_x", 1.0 if floats else float(f32(scale_of(node, x)))),
            ("scale_y", 1.0 if floats else float(f32(scale_of(node, y)))),
            ("zp_x", 0 if floats else zp_of(node, x)),
            ("zp_y", 0 if floats else zp_of(node, y)),
        ],
    )
    args: list[Value] = [params, dims4(x), TensorRef(x), dims4(y), TensorRef(y, out=True)]
    if floats:
        kf = "mcu_resize_bilinear_ort_f32"
        return [
            Call(kf, (kf, "mcu_resize_bilinear_ort_s8", _REQ), args, comment="ORT float Resize")
        ]
    kernel = "mcu_resize_bilinear_ort_s8"
    rule = "DequantizeLinear, float Resize (linear), QuantizeLinear"
    return [Call(kernel, (kernel, _REQ), args, comment=rule)]


def _lower_gelu(node: Node) -> list[Call] | None:
    """ORT's float Gelu (gelu.cc: MLAS erf or tanh between two float passes)."""
    x, y = node.input(0), node.output
    if x.dtype is not DType.FLOAT32 or y.dtype is not DType.FLOAT32:
        return None
    args: list[Value] = [y.size, int(node.attrs.approximate), TensorRef(x), TensorRef(y, out=True)]
    kernel = "mcu_gelu_ort_f32"
    files = (kernel, "mcu_erf_ort_f32", "mcu_tanh_ort_f32")
    return [Call(kernel, files, args, comment="ORT float Gelu (MLAS erf / tanh)")]


def _lower_div(node: Node) -> list[Call] | None:
    """ORT's float Div (IEEE division per element, broadcast): ``mcu_div_ort_f32``."""
    from mcuai.lower.elementwise import bcast_struct

    a, b, y = node.input(0), node.input(1), node.output
    if not all(t.dtype is DType.FLOAT32 for t in (a, b, y)):
        return None
    args: list[Value] = [bcast_struct(node, a, b, y), TensorRef(a), TensorRef(b)]
    args.append(TensorRef(y, out=True))
    kernel = "mcu_div_ort_f32"
    return [Call(kernel, (kernel, "mcu_binary_bcast"), args, comment="ORT float Div")]


def _lower_quantize(node: Node) -> list[Call] | None:
    from mcuai.ops.quantize import affine_args

    x, y = node.input(0), node.output
    if x.dtype is not DType.FLOAT32 or y.dtype is not DType.INT8:
        return None
    args: list[Value] = [*affine_args(node, y), TensorRef(x), TensorRef(y, out=True)]
    kernel = "mcu_quantize_ort_f32_s8"
    return [Call(kernel, (kernel, _REQ), args, comment="QuantizeLinear, round half to even")]


#: MLAS's rational approximations (the coefficients of Eigen's, as ``logistic.cpp`` and
#: ``tanh.cpp`` list them): input clamp, numerator coefficients (high to low, odd powers),
#: denominator coefficients (high to low, even powers).
_MLAS_LOGISTIC = (
    18.0,
    (4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05, 8.51377133304701e-03,
     2.48287947061529e-01),
    (6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06, 1.70198817374094e-03,
     1.16817656904453e-01, 9.93151921023180e-01),
)  # fmt: skip
_MLAS_TANH = (
    9.0,
    (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
     1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03),
    (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03),
)  # fmt: skip


def mlas_rational(
    v: np.float32, coeffs: tuple[float, tuple[float, ...], tuple[float, ...]]
) -> np.float32:
    """MLAS's logistic/tanh kernel for one float32 (the FMA3 kernel ORT runs on x86-64):
    ``x = clamp(v)``, ``x2 = x*x``, Horner with fused multiply-adds for ``p`` (times ``x``) and
    ``q``, result ``p / q``."""
    lim, num, den = coeffs
    x = f32(min(max(v, f32(-lim)), f32(lim)))
    x2 = f32(x * x)
    p = _fma(x2, f32(num[0]), f32(num[1]))
    for c in num[2:]:
        p = _fma(p, x2, f32(c))
    p = f32(p * x)
    q = _fma(x2, f32(den[0]), f32(den[1]))
    for c in den[2:]:
        q = _fma(q, x2, f32(c))
    return f32(p / q)


def ort_lut(node: Node, fn: Callable[[np.float32], np.float32]) -> np.ndarray:
    """256-entry int8 table of an element-wise op as ORT computes it (QLinearLookupBase, and
    the same per element for DQ -> float op -> Q): ``x = (float)(q - zp_x) * s_x``, ``y =
    fn(x)`` in float32, ``sat(rne(y / s_y) + zp_y)``; index ``q + 128``."""
    x_t, y_t = node.input(0), node.output
    s_x, z_x, s_y, z_y = (
        scale_of(node, x_t),
        zp_of(node, x_t),
        scale_of(node, y_t),
        zp_of(node, y_t),
    )
    out = np.empty(256, np.int8)
    for i, q in enumerate(range(-128, 128)):
        x = f32(f32(q - z_x) * f32(s_x))
        y = fn(x)
        r = float(rne(np.float64(f32(y / f32(s_y))))) + z_y
        out[i] = int(min(max(r, -128), 127))
    return out


def _logistic(x: np.float32) -> np.float32:
    """MLAS logistic: ``max(p / q + 0.5, 0)`` -- its FMA3 kernel has no upper clamp (ORT
    returns 1.0000001 for some inputs)."""
    return f32(max(f32(mlas_rational(x, _MLAS_LOGISTIC) + f32(0.5)), f32(0)))


def _tanh(x: np.float32) -> np.float32:
    return mlas_rational(x, _MLAS_TANH)


def _lower_lut(node: Node) -> list[Call] | None:
    from mcuai.lower.activations import lut_s8_call

    x, y = node.input(0), node.output
    if x.dtype is DType.FLOAT32 and y.dtype is DType.FLOAT32 and node.op in ("logistic", "tanh"):
        kernel = f"mcu_{node.op}_ort_f32"  # ORT's float Sigmoid / Tanh (MLAS)
        args: list[Value] = [y.size, TensorRef(x), TensorRef(y, out=True)]
        return [Call(kernel, (kernel,), args, comment=f"ORT float {node.op} (MLAS)")]
    if (
        x.dtype is DType.FLOAT32
        and y.dtype is DType.FLOAT32
        and node.op
        in (
            "hard_sigmoid",
            "hard_swish",
        )
    ):
        swish_f = node.op == "hard_swish"
        kernel = "mcu_hard_sigmoid_ort_f32"  # ORT's float HardSigmoid / HardSwish
        args = [
            y.size,
            float(f32(1 / 6) if swish_f else f32(node.attrs.alpha)),
            float(f32(0.5) if swish_f else f32(node.attrs.beta)),
            int(swish_f),
            TensorRef(x),
            TensorRef(y, out=True),
        ]
        return [Call(kernel, (kernel,), args, comment=f"ORT float {node.op}")]
    if not _int8_io(node, x, y):
        return None
    fn: Callable[[np.float32], np.float32]
    if node.op in ("hard_sigmoid", "hard_swish"):
        # ORT's float HardSigmoid: clip(x * alpha + beta, 0, 1), multiply then add (no FMA);
        # HardSwish: x * HardSigmoid(alpha = 1/6, beta = 0.5)
        swish = node.op == "hard_swish"
        al = f32(1 / 6) if swish else f32(node.attrs.alpha)
        be = f32(0.5) if swish else f32(node.attrs.beta)

        def fn(v: np.float32) -> np.float32:
            h = f32(min(max(f32(f32(v * al) + be), f32(0)), f32(1)))
            return f32(v * h) if swish else h

        rule = f"ORT float {'HardSwish' if swish else 'HardSigmoid'} between DQ and Q, table"
    elif node.op == "logistic":
        fn, rule = _logistic, "ORT QLinearSigmoid table (MLAS logistic)"
    elif node.op == "tanh":
        fn, rule = _tanh, "ORT table (MLAS tanh)"
    else:
        alpha = f32(node.attrs.alpha)

        def fn(v: np.float32) -> np.float32:
            return v if v >= 0 else f32(v * alpha)

        rule = "ORT QLinearLeakyRelu table"
    return [lut_s8_call(node, ort_lut(node, fn), rule)]


def softmax_table(s_x: float, depth: int) -> np.ndarray:
    """QLinearSoftmax's 256 float32 values ``(float)exp((i - 255 + shift) * s_x)`` (double
    arithmetic, libm ``exp``/``log`` as ORT's ``QlinearBuildLookupTableUint32``), with
    ``shift = max(0, log(FLT_MAX / depth) - 5) / s_x`` (``FLT_MAX / depth`` in float32)."""
    import math

    sx = float(f32(s_x))
    ratio = f32(f32(np.finfo(np.float32).max) / f32(depth))
    shift = max(0.0, math.log(float(ratio)) - 5.0) / sx
    return np.array([math.exp((i - 255 + shift) * sx) for i in range(256)], np.float32)


def _lower_softmax(node: Node) -> list[Call] | None:
    x, y = node.input(0), node.output
    if x.dtype is DType.FLOAT32 and y.dtype is DType.FLOAT32 and node.attrs.beta == 1.0:
        # ORT's float Softmax (MLAS, FMA exp, 2x8-lane sums): e.g. after the last DQ
        depth = x.shape[-1] if x.shape else 1
        args_f: list[Value] = [x.size // max(depth, 1), depth, TensorRef(x), TensorRef(y, out=True)]
        kernel_f = "mcu_softmax_ort_f32"
        return [Call(kernel_f, (kernel_f,), args_f, comment="ORT float Softmax (MLAS)")]
    if not _int8_io(node, x, y):
        return None
    if float(node.attrs.beta) != 1.0:
        raise unsupported(node, "ONNX Runtime's QLinearSoftmax has no beta")
    depth = x.shape[-1] if x.shape else 1
    y_scale = float(np.floor(f32(f32(1.0) / f32(scale_of(node, y)))))
    params = Struct("mcu_softmax_ort_params", [("y_scale", y_scale), ("zp", zp_of(node, y))])
    table = CArray("exp_table", softmax_table(scale_of(node, x), depth), "QLinearSoftmax exp")
    args: list[Value] = [
        params,
        table,
        x.size // max(depth, 1),
        depth,
        TensorRef(x),
        TensorRef(y, out=True),
    ]
    kernel = "mcu_softmax_ort_s8"
    return [Call(kernel, (kernel, _REQ), args, comment="ORT QLinearSoftmax")]


_LOWER = {
    "erf": _lower_erf,
    "layer_norm": _lower_layer_norm,
    "gelu": _lower_gelu,
    "div": _lower_div,
    "mean": _lower_mean,
    "prelu": _lower_prelu,
    "resize_bilinear": _lower_resize_bilinear,
    "transpose_conv": _lower_transpose_conv,
    "batch_matmul": _lower_batch_matmul,
    "sub": _lower_add,
    "hard_sigmoid": _lower_lut,
    "hard_swish": _lower_lut,
    "concat": _lower_concat,
    "softmax": _lower_softmax,
    "mul": _lower_mul,
    "logistic": _lower_lut,
    "tanh": _lower_lut,
    "leaky_relu": _lower_lut,
    "conv2d": lambda n: _lower_conv(n, depthwise=False),
    "depthwise_conv2d": lambda n: _lower_conv(n, depthwise=True),
    "fully_connected": _lower_fc,
    "avg_pool2d": _lower_avg_pool,
    "add": _lower_add,
    "quantize": _lower_quantize,
}


def _fixed_avg_pool(node: Node) -> list[Call] | None:
    """``--requant fixed-point`` pooling between different quantizations (the TFLite kernels
    average raw integers, which needs equal ones): ``mcu_avgpool2d_ort_fixed_s8``, a Q31
    multiplier ``s_x / (s_y * count)`` per possible tap count."""
    x, y = node.input(0), node.output
    if not _int8_io(node, x, y):
        return None
    s_x, s_y = scale_of(node, x), scale_of(node, y)
    if f32(s_x) == f32(s_y) and zp_of(node, x) == zp_of(node, y):
        return None  # the op's own (TFLite) kernel
    a = node.attrs
    lo, hi = clamp_of(node, a.clamp)
    counts = a.kernel[0] * a.kernel[1]
    mult = np.empty(counts, np.int32)
    shift = np.empty(counts, np.int32)
    for k in range(counts):
        mult[k], shift[k] = quantize_multiplier(float(f32(s_x)) / (float(f32(s_y)) * (k + 1)))
    params = Struct(
        "mcu_avgpool_ort_fixed_params",
        [
            ("input_offset", -zp_of(node, x)),
            ("output_offset", zp_of(node, y)),
            ("stride", hw(a.stride)),
            ("padding", hw((a.pads[0], a.pads[2]))),
            ("act_min", lo),
            ("act_max", hi),
            ("multiplier", CArray("multiplier", mult, "s_x / (s_y * count), Q31")),
            ("shift", CArray("shift", shift, "(>0: left)")),
        ],
    )
    window = Struct("mcu_dims", [("n", 1), ("h", a.kernel[0]), ("w", a.kernel[1]), ("c", 1)])
    args: list[Value] = [params, dims4(x), TensorRef(x), window, dims4(y), TensorRef(y, out=True)]
    kernel = "mcu_avgpool2d_ort_fixed_s8"
    return [Call(kernel, (kernel,), args, comment="integer-only rescaling average pool")]


def _fixed_fc(node: Node) -> list[Call] | None:
    """``--requant fixed-point`` FULLY_CONNECTED: the TFLite FC kernel requantizes in float64
    (LiteRT's reference), so integer-only cores get ``mcu_fc_ort_fixed_s8`` instead
    (``MultiplyByQuantizedMultiplier``, TFLite Micro's rule)."""
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    if not _int8_io(node, x, y) or w.dtype is not DType.INT8 or w.data is None:
        return None
    if w.quant is None or not w.quant.symmetric:
        return None  # the op's own lowering (weight offset) or its error
    nout, nin = w.shape
    batch = x.size // nin
    bias_values(node, b, nout, (DType.INT32,))
    mult, shift = per_channel_requant(node, x, w, y, nout)
    lo, hi = clamp_of(node, node.attrs.clamp)
    params = Struct(
        "mcu_fc_ort_params",
        [
            ("input_offset", -zp_of(node, x)),
            ("output_offset", zp_of(node, y)),
            ("act_min", lo),
            ("act_max", hi),
            ("weights_offsets", Raw("NULL")),
        ],
    )
    args: list[Value] = [
        params,
        Struct("mcu_quant_pc", [("multiplier", mult), ("shift", shift)]),
        dims_struct(batch, 1, 1, nin),
        TensorRef(x),
        dims_struct(nout, 1, 1, nin),
        CArray("weights", w.data.reshape(-1)),
        const_or_null(node, b, "bias"),
        dims_struct(batch, 1, 1, nout),
        TensorRef(y, out=True),
    ]
    kernel = "mcu_fc_ort_fixed_s8"
    files = (kernel, "mcu_fc_ort_s8", _REQ)
    return [Call(kernel, files, args, comment="integer-only FC (fixed-point multipliers)")]


#: ``--requant fixed-point``: integer-only replacements where the op's own (TFLite) kernel does
#: not fit ONNX, and QuantizeLinear of float inputs with ORT's rounding (a float op anyway).
def _fixed_softmax(node: Node) -> list[Call] | None:
    """``--requant fixed-point`` softmax: TFLite's integer kernel where it applies (output
    scale 1/256), else ORT's QLinearSoftmax kernel (float32 arithmetic: software float on a
    core without FPU)."""
    from mcuai.errors import UnsupportedError
    from mcuai.ops import get_op

    try:
        return get_op("softmax").lower(node)
    except UnsupportedError:
        return _lower_softmax(node)


_LOWER_FIXED: dict[str, Callable[[Node], list[Call] | None]] = {
    "erf": _lower_erf,
    "layer_norm": _lower_layer_norm,
    "gelu": _lower_gelu,
    "div": _lower_div,
    "avg_pool2d": _fixed_avg_pool,
    "fully_connected": _fixed_fc,
    "quantize": _lower_quantize,
    "softmax": _fixed_softmax,
    # tables computed at generation time: integer-only at run time, ORT's integers
    "logistic": _lower_lut,
    "tanh": _lower_lut,
    "leaky_relu": _lower_lut,
    "hard_sigmoid": _lower_lut,
    "hard_swish": _lower_lut,
    "concat": _lower_concat,
}


def lower_ort(node: Node) -> list[Call] | None:
    """The ORT-rule kernel calls of an ONNX Runtime node, or ``None`` when the op (or this
    type combination) computes the same integers under both rules and the op's own lowering
    applies (views, data movement, max pooling, ...)."""
    if node.numerics == FIXED_POINT_NUMERICS:
        fixed = _LOWER_FIXED.get(node.op)
        return None if fixed is None else fixed(node)
    if node.numerics not in ORT_ALL:
        return None
    fn = _LOWER.get(node.op)
    return None if fn is None else fn(node)


#: ONNX ops whose ``DQ -> op -> Q`` groups ONNX Runtime's CPU graph optimizer turns into an
#: integer operator (``QDQSelectorActionTransformer``: QLinearConv, QGemm, QLinearMatMul,
#: QLinearAdd/Mul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearSigmoid,
#: QLinearLeakyRelu, QLinearConcat, QLinearSoftmax). Only these can be "not fused".
_ORT_FUSABLE = {
    "Conv",
    "Gemm",
    "MatMul",
    "Add",
    "Mul",
    "AveragePool",
    "GlobalAveragePool",
    "Sigmoid",
    "LeakyRelu",
    "Concat",
    "Softmax",
}


def ort_plan(model: object) -> dict[str, str]:
    """What ONNX Runtime (1.32, CPU, default optimizations, x86-64) makes of each QDQ group:
    ``{onnx node name: numerics}`` -- :data:`ORT_FLOAT_NUMERICS` for the groups it leaves
    unfused (float ops between DequantizeLinear and QuantizeLinear),
    :data:`ORT_U8_NUMERICS` for fused groups it computes on activations converted to uint8;
    fused int8 groups are not listed.

    The rule, as measured on ORT 1.32 with small models built for it (tests/test_onnx_numerics)
    and the MLPerf Tiny QDQ models, and as its QDQ selectors state (``NodeGroup::
    CanCreateNodeGroup``: "a target node input is the only consumer of each DQ"):

    1. identical DequantizeLinear nodes (same input tensor, equal scale, zero point and axis) are
       merged first (common subexpression elimination, level 1);
    2. a target fuses only if each DequantizeLinear feeding it has exactly one consumer (the
       target) and is not a graph output, and the QuantizeLinear feeding that DQ (if any) has
       no other use (no other consumer, not a graph output);
    3. and only if each of its outputs feeds exactly one QuantizeLinear whose output has exactly
       one use (no graph output besides), a DequantizeLinear with at most one use (one
       consumer node or one graph output). A Q -> DQ pair shared by two consumers, or also
       read as a graph output, leaves the producer unfused too (measured: ORT then keeps the
       producer in float; why is not visible in the selectors).

    4. before fusing, ORT's QDQS8ToU8Transformer turns every int8 Q -> DQ pair whose Q output
       has a single use into uint8 (both zero points + 128). A group whose activations end up
       with both types does not fuse (the selectors want one type); a group fused on uint8
       gives different float roundings where the zero point enters float arithmetic
       (QLinearAdd's constant term, QLinearAveragePool's ``+ zp_y``).

    5. groups whose activations are uint8 in the model itself (uint8 zero points on their
       activation DequantizeLinear inputs and output QuantizeLinear) fuse whatever else reads
       their DQs or Q -> DQ pairs (measured on ORT 1.32: shared, twin and graph-output DQs,
       residual Adds, fan-outs; ORT gives each target its own DQ); rules 2 and 3 hold for int8.

    ``model`` is an ``onnx.ModelProto``.
    """
    import onnx
    from onnx import numpy_helper

    assert isinstance(model, onnx.ModelProto)
    g = model.graph
    consts: dict[str, np.ndarray] = {}
    tensors = [(i.name, i) for i in g.initializer] + [
        (n.output[0], a.t)
        for n in g.node
        if n.op_type == "Constant"
        for a in n.attribute
        if a.name == "value"
    ]
    for name, t in tensors:
        try:
            consts[name] = numpy_helper.to_array(t)
        except Exception:  # external data not loaded: compared by name
            continue

    def const_key(name: str) -> object:
        if name in consts:
            v = consts[name]
            return (str(v.dtype), v.shape, v.tobytes())
        return ("tensor", name)

    # 1. merge identical DequantizeLinear nodes: map each DQ output to a canonical name
    canon: dict[str, str] = {}
    seen: dict[object, str] = {}
    for n in g.node:
        if n.op_type != "DequantizeLinear" or n.domain not in ("", "ai.onnx"):
            continue
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        key = (n.input[0], tuple(const_key(i) for i in n.input[1:] if i), axis)
        canon[n.output[0]] = seen.setdefault(key, n.output[0])

    def c(name: str) -> str:
        return canon.get(name, name)

    uses: dict[str, int] = {}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    producer: dict[str, onnx.NodeProto] = {}
    for n in g.node:
        for o in n.output:
            producer[o] = n
        for i in n.input:
            if i:
                uses[c(i)] = uses.get(c(i), 0) + 1
                consumers.setdefault(c(i), []).append(n)
    for o in g.output:
        uses[c(o.name)] = uses.get(c(o.name), 0) + 1

    def is_dq(name: str) -> bool:
        p = producer.get(name)
        return p is not None and p.op_type == "DequantizeLinear"

    def is_q(name: str) -> bool:
        p = producer.get(name)
        return p is not None and p.op_type == "QuantizeLinear"

    def dq_is_u8(dq_out: str) -> bool:
        """QDQS8ToU8Transformer (level 2, x86-64): a QuantizeLinear whose output has a single
        use, a DequantizeLinear, with equal scalar int8 zero points, becomes uint8 (zp + 128)."""
        dq = producer[dq_out]
        src = dq.input[0]
        if not is_q(src) or uses.get(src, 0) != 1:
            return False
        q = producer[src]
        zq = consts.get(q.input[2]) if len(q.input) > 2 else None
        zd = consts.get(dq.input[2]) if len(dq.input) > 2 else None
        return (
            zq is not None
            and zd is not None
            and zq.size == 1
            and zd.size == 1
            and zq.dtype == np.int8
            and zd.dtype == np.int8
            and int(zq.reshape(-1)[0]) == int(zd.reshape(-1)[0])
        )

    def zp_type(node: onnx.NodeProto) -> object:
        z = consts.get(node.input[2]) if len(node.input) > 2 else None
        return None if z is None else z.dtype

    def native_u8(n: onnx.NodeProto) -> bool:
        """Rule 5: every activation DQ feeding ``n`` and every Q after it are uint8 in the
        model itself (not converted by ORT)."""
        acts = [producer[i] for i in n.input if i and is_dq(i)]
        acts = [d for d in acts if d.input[0] not in consts]
        outs = [q for o in n.output for q in consumers.get(o, []) if q.op_type == "QuantizeLinear"]
        if not acts or len(outs) != len(n.output):
            return False
        return all(zp_type(d) == np.uint8 for d in acts + outs)

    plan: dict[str, str] = {}
    for n in g.node:
        if n.op_type not in _ORT_FUSABLE or n.domain not in ("", "ai.onnx"):
            continue
        dq_in = [i for i in n.input if i and is_dq(i)]
        if not dq_in:
            continue  # not a QDQ group (float op)
        if native_u8(n):
            continue  # fused whatever else reads its DQs (rule 5)
        ok = all(uses.get(c(i), 0) == 1 for i in dq_in)
        for i in dq_in:  # a Q -> DQ pair feeding the target must be exclusive as well
            src = producer[i].input[0]
            if is_q(src) and uses.get(src, 0) != 1:
                ok = False
        # activation operands (not constants) and outputs converted to uint8 by ORT
        u8 = [dq_is_u8(i) for i in dq_in if producer[i].input[0] not in consts]
        for o in n.output:
            cons = consumers.get(o, [])
            if uses.get(o, 0) != 1 or len(cons) != 1 or cons[0].op_type != "QuantizeLinear":
                ok = False
                continue
            q_out = cons[0].output[0]
            q_cons = consumers.get(q_out, [])
            if uses.get(q_out, 0) != 1 or len(q_cons) != 1:
                ok = False
                continue
            if q_cons[0].op_type == "DequantizeLinear" and uses.get(c(q_cons[0].output[0]), 0) > 1:
                ok = False
            if q_cons[0].op_type == "DequantizeLinear":
                u8.append(dq_is_u8(q_cons[0].output[0]))
        if ok and len(set(u8)) > 1:
            ok = False  # int8 and uint8 operands: the selectors want one activation type
        if not ok:
            plan[n.name] = ORT_FLOAT_NUMERICS
        elif u8 and all(u8):
            plan[n.name] = ORT_U8_NUMERICS
    return plan


def ort_float_nodes(model: object) -> set[str]:
    """Names of the ONNX nodes ONNX Runtime leaves unfused (:func:`ort_plan`)."""
    return {k for k, v in ort_plan(model).items() if v == ORT_FLOAT_NUMERICS}


def mark_ort_float(graph: Graph, model: object) -> Graph:
    """Relabel the ONNX Runtime nodes of ``graph`` as ORT runs their source node
    (:func:`ort_plan` of the ``onnx.ModelProto``): unfused (float) or fused on uint8."""
    plan = ort_plan(model)
    if plan:
        for n in graph.nodes:
            if n.numerics == ORT_NUMERICS and n.origin in plan:
                n.numerics = plan[n.origin]
    return graph
