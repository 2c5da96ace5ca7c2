"""Lowering helpers for TFLite uint8 layers (nodes marked by :mod:`mcuai.passes.uint8_to_int8`).

The pass stores every uint8 tensor as int8 (value and zero point minus 128), so most int8
kernels compute the uint8 result exactly. Where LiteRT's *uint8* reference rule differs from the
int8 one, the op lowerings call these helpers instead (each checked bit-exact against LiteRT
2.3 ``BUILTIN_REF`` in ``tests/test_ops_uint8.py``):

================  ==============================================================================
CONV_2D,          ``reference_ops::Conv`` / ``DepthwiseConv`` / ``TransposeConv`` (uint8): one
DEPTHWISE_CONV,   per-tensor multiplier from ``GetQuantizedConvolutionMultipler``:
TRANSPOSE_CONV    ``QuantizeMultiplier((double)(float)(s_in * s_w) / (double)s_out)`` -- the
                  product of the two float scales is rounded to float32 first, unlike the int8
                  per-channel rule ``(double)s_in * (double)s_w / (double)s_out``
                  (:func:`uint8_requant`); the filter has a zero point, applied as
                  ``(w + weights_offset)`` (``mcu_*_asym_s8`` kernels; when the stored zero point
                  is 128, i.e. 0 after the shift, the int8 kernels are used). Per-channel uint8
                  weights are refused, as LiteRT refuses them.
FULLY_CONNECTED   ``reference_ops::FullyConnected`` (uint8, the overload taking the scales):
                  float64 requantization, the same rule as int8 (``mcu_fc_s8`` with a weight
                  offset); per-channel weights refused.
AVERAGE_POOL_2D   ``reference_ops::AveragePool`` (uint8): ``(sum + n/2) / n`` on the
                  non-negative uint8 sum (half up) instead of half away from zero
                  (``mcu_avgpool2d_roundup_s8``).
CONCATENATION     ``ConcatenationWithScaling``: inputs quantized differently from the output are
                  rescaled in float (``round(u * scale + bias) + zp_out``, a 256-entry table per
                  such input, :func:`concat_rescale_table`, ``mcu_copy_lut_s8``).
RESIZE_BILINEAR   ``reference_ops::ResizeBilinear<uint8_t>``: float interpolation + 0.5, truncated
                  (``mcu_resize_bilinear_float_s8``), not the int8 10-bit fixed-point rule.
SOFTMAX           ``reference_ops::Softmax`` adds ``numeric_limits<uint8_t>::min() = 0``; the int8
                  kernel adds -128, i.e. the same stored value; LiteRT does not check the uint8
                  output quantization (the int8 check is skipped).
LOGISTIC, TANH,   Tables built with :mod:`mcuai.quant.lut` for dtype uint8 (zero points + 128
HARD_SWISH, RELU  back), then shifted: the uint8 rule itself (``LUTPopulate<uint8_t>`` etc.).
family, LEAKY_RELU
================  ==============================================================================
"""

from __future__ import annotations

import numpy as np

from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import const_or_null, dims4, scale_of, unsupported, zp_of
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.quant.fixed_point import quantize_multiplier

#: ``Node.numerics`` of the nodes :mod:`mcuai.passes.uint8_to_int8` rewrote from uint8: TFLite
#: arithmetic with its uint8 rules, on tensors stored as int8 (value and zero point - 128).
UINT8_NUMERICS = "tflite-uint8"


#: ``Node.numerics`` of a TFLite node that mixes quantized uint8 and int8 tensors (other than
#: QUANTIZE/DEQUANTIZE): after the rewrite both look int8, so such nodes are refused.
MIXED_NUMERICS = "tflite-uint8-mixed"


def from_uint8(node: Node) -> bool:
    """True when ``node`` computes a TFLite uint8 layer on int8-stored tensors."""
    return node.numerics == UINT8_NUMERICS


def check_not_mixed(node: Node) -> None:
    """Refuse a node the uint8 rewrite found mixing uint8 and int8 tensors."""
    if node.numerics == MIXED_NUMERICS:
        raise unsupported(
            node,
            "mixes quantized uint8 and int8 tensors (mcuai computes a uint8 layer only when all "
            "its 8-bit tensors are uint8; LiteRT refuses most such layers or reads one type's "
            "bytes as the other)",
        )


def check_per_tensor_weights(node: Node, w: Tensor) -> None:
    """uint8 filters are quantized per tensor (LiteRT refuses per-channel uint8)."""
    if w.data is None:
        raise unsupported(node, "the filter must be a constant")
    if w.quant is None:
        raise unsupported(node, "weights are not quantized")
    if w.quant.per_axis:
        raise unsupported(
            node,
            "uint8 weights quantized per channel (TFLite supports per-channel quantization "
            "for int8/int16 only; LiteRT refuses this model)",
        )


def weights_offset(node: Node, w: Tensor) -> int:
    """``-zp_w`` of the (int8-stored) weights."""
    return -zp_of(node, w)


def uint8_requant(
    node: Node, x: Tensor, w: Tensor, y: Tensor, channels: int
) -> tuple[CArray, CArray]:
    """The per-tensor multiplier of TFLite's uint8 convolutions, repeated per channel.

    ``GetQuantizedConvolutionMultipler``: ``(double)(input_scale * filter_scale)`` -- a float32
    product -- divided in double by ``(double)output_scale``, then ``QuantizeMultiplier``.
    """
    check_per_tensor_weights(node, w)
    prod = np.float32(np.float32(scale_of(node, x)) * np.float32(scale_of(node, w)))
    real = float(prod) / float(np.float32(scale_of(node, y)))
    m, s = quantize_multiplier(real)
    return (
        CArray("multiplier", np.full(channels, m, np.int32), "requantization multiplier (Q31)"),
        CArray("shift", np.full(channels, s, np.int32), "requantization shift (>0: left)"),
    )


def concat_rescale_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """int8 table (index ``q + 128``) of TFLite ``ConcatenationWithScaling`` for one input.

    In float32 on the stored uint8 value ``u = q + 128`` (zero points are the uint8 ones):
    ``scale = s_in * (1.f / s_out)``, ``bias = -zp_in * scale``,
    ``v = (int)round_half_away(u * scale + bias) + zp_out`` clamped to [0, 255]; stored as
    ``v - 128``. Each operation rounds to float32 (no FMA contraction, as LiteRT's x86-64 build).
    """
    f32 = np.float32
    scale = f32(f32(s_in) * f32(f32(1.0) / f32(s_out)))
    bias = f32(f32(-zp_in) * scale)
    u = np.arange(256, dtype=np.float32)
    v = ((u * scale).astype(np.float32) + bias).astype(np.float32).astype(np.float64)
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)  # roundf (exact in double): half away from zero
    q = np.clip(r.astype(np.int64) + zp_out, 0, 255) - 128
    return q.astype(np.int8)


def asym_conv_call(kernel: str, node: Node, params: Struct, quant: Struct) -> Call:
    """``mcu_{conv2d,dwconv2d,tconv2d}_asym_s8``: the int8 kernel's arguments plus the weights
    offset ``-zp_w`` after the quantization struct."""
    x, w, b, y = node.input(0), node.input(1), node.opt_input(2), node.output
    assert w.data is not None
    args: list[Value] = [
        params,
        quant,
        weights_offset(node, w),
        dims4(x),
        TensorRef(x),
        dims4(w),
        CArray("weights", w.data.reshape(-1)),
        const_or_null(node, b, "bias"),
        dims4(y),
        TensorRef(y, out=True),
    ]
    return Call(
        kernel, (kernel,), args, comment="uint8 layer: filter offset, per-tensor multiplier"
    )
