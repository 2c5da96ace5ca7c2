"""Lowering of the quantized activation ops: LOGISTIC, TANH, HARD_SWISH, RELU/RELU6/RELU_N1_TO_1,
LEAKY_RELU (element-wise), PRELU and SOFTMAX.

Rules (all bit-exact with LiteRT's reference kernels, ``OpResolverType.BUILTIN_REF``):

* int8 element-wise activations become a 256-entry table computed here with
  :mod:`mcuai.quant.lut` (which reproduces each op's ``Prepare`` + reference kernel for every
  possible input value) and the kernel ``mcu_lut_s8`` (``out[i] = table[in[i] + 128]``):

  - LOGISTIC: ``SigmoidPrepare<kReference>`` float LUT; the output scale must be exactly 1/256
    (any zero point), as LiteRT checks;
  - TANH: ``TanhPrepare<kReference>`` float LUT, any output quantization;
  - HARD_SWISH: ``HardSwishPrepare`` + ``reference_ops::HardSwish`` (16-bit fixed point); LiteRT
    rejects ``(s_in / 128) / s_out >= 1`` (output multiplier exponent > 0);
  - RELU/RELU6/RELU_N1_TO_1: ``ReluPrepare`` + ``QuantizedReluX`` (requantize, then clamp to the
    real bounds in the output quantization);
  - LEAKY_RELU: ``LeakyReluPrepare`` + ``reference_ops::QuantizeLeakyRelu`` (two multipliers).

* int16 LOGISTIC and TANH: ``reference_integer_ops::Logistic/Tanh`` (int16 overloads), kernels
  ``mcu_logistic_s16``/``mcu_tanh_s16``: input rescaled by an integer multiplier and a rounding
  right shift (``SigmoidPrepare``/``TanhPrepare``), then TFLite's 256-entry uint16 sigmoid table
  with linear interpolation. Zero points must be 0 and the output scale 2^-15.

* int8 PRELU: ``PreluPrepare`` + ``reference_ops::BroadcastPrelu4DSlow``/``Prelu``, kernel
  ``mcu_prelu_s8`` on the broadcast walk of ``mcu_binary_bcast``.

* int8 SOFTMAX: ``SoftmaxPrepare<kReference>`` + ``reference_ops::Softmax``; the beta/scale
  dependent part (rescaling of ``x - max`` and ``exp_on_negative_values``) is a 256-entry int32
  table from :func:`mcuai.quant.softmax.softmax_prepare`, the rest runs in ``mcu_softmax_s8``.

* TFLite uint8 layers (stored as int8 by ``passes/uint8_to_int8``): element-wise tables are built
  for uint8 (the reference's uint8 ``Prepare``, uint8 zero points) and shifted by -128; uint8
  SOFTMAX uses the int8 kernel (same exp table; the uint8 result plus the -128 storage shift);
  uint8 PRELU follows the int8 rule exactly.

Functions return ``None`` for nodes they do not handle (float32, uint8, other types: the op then
falls back to its base class) and raise :func:`~mcuai.lower.context.unsupported` for integer
cases the reference rejects or mcuai does not reproduce.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import scale_of, unsupported, zp_of
from mcuai.lower.elementwise import bcast_struct
from mcuai.lower.program import Call, CArray, Struct, TensorRef, Value
from mcuai.lower.uint8 import from_uint8
from mcuai.quant import lut
from mcuai.quant.fixed_point import quantize_multiplier
from mcuai.quant.softmax import softmax_prepare

#: Bytes of the int8 lookup table a LUT-lowered node stores.
LUT_BYTES = 256
#: Bytes of the int32 exp table of an int8 softmax.
SOFTMAX_TABLE_BYTES = 256 * 4

#: An 8-bit table builder: (in_scale, in_zp, out_scale, out_zp, dtype) -> table[256] of
#: ``dtype`` ("int8" or "uint8"), index ``q - qmin``.
TableFn = Callable[[float, int, float, int, lut.Dtype], np.ndarray]

_INT = (DType.INT8, DType.UINT8, DType.INT16)


def lut_table_bytes(node: Node) -> int:
    """Flash of the table an int8 element-wise activation stores (0 for other types; the
    int16 sigmoid table is kernel-library data shared by every node)."""
    x, y = node.input(0), node.output
    return LUT_BYTES if x.dtype is DType.INT8 and y.dtype is DType.INT8 else 0


def softmax_table_bytes(node: Node) -> int:
    """Flash of an int8 softmax's exp table (0 for other types)."""
    x, y = node.input(0), node.output
    return SOFTMAX_TABLE_BYTES if x.dtype is DType.INT8 and y.dtype is DType.INT8 else 0


def _operands(node: Node) -> tuple[Tensor, Tensor] | None:
    """(x, y) of an element-wise node with an integer input and output of one type, ``None``
    when it is not an integer node; raises for mixed integer types (LiteRT requires equal
    types)."""
    x, y = node.input(0), node.output
    if x.dtype not in _INT and y.dtype not in _INT:
        return None
    if x.dtype is not y.dtype:
        raise unsupported(
            node,
            f"input {x.dtype.value} and output {y.dtype.value} differ "
            "(the reference requires one type)",
        )
    return x, y


def _quant(node: Node, t: Tensor) -> tuple[float, int]:
    if t.quant is None:
        raise unsupported(node, f"tensor '{t.name}' is not quantized")
    return scale_of(node, t), zp_of(node, t)


def lut_s8_call(node: Node, table: np.ndarray, comment: str) -> Call:
    """``mcu_lut_s8(table, size, in, out)`` for an int8 element-wise node."""
    x, y = node.input(0), node.output
    assert table.dtype == np.int8 and table.shape == (256,)
    args: list[Value] = [
        CArray("lut", table, comment),
        x.size,
        TensorRef(x),
        TensorRef(y, out=True),
    ]
    return Call("mcu_lut_s8", ("mcu_lut_s8",), args, comment=comment)


def lower_lut_s8(node: Node, build: TableFn, rule: str) -> list[Call] | None:
    """An int8 element-wise activation as a table lookup; ``None`` for non-int8 nodes.

    ``build`` computes the table from the tensors' quantization; a ``ValueError`` from it (a
    combination the reference rejects) becomes an :class:`UnsupportedError` naming the node.
    TFLite uint8 layers (int8-stored, ``passes/uint8_to_int8``) get the uint8 table of the
    uint8 zero points (the reference's uint8 rule), shifted to the int8 storage.
    """
    ops = _operands(node)
    if ops is None or ops[0].dtype is not DType.INT8:
        return None
    x, y = ops
    (si, zi), (so, zo) = _quant(node, x), _quant(node, y)
    try:
        if from_uint8(node):
            table_u8 = build(si, zi + 128, so, zo + 128, "uint8")
            table = (table_u8.astype(np.int16) - 128).astype(np.int8)
            rule = f"uint8 {rule}"
        else:
            table = build(si, zi, so, zo, "int8")
    except ValueError as e:
        raise unsupported(node, str(e)) from None
    return [lut_s8_call(node, table, f"{node.op} table ({rule})")]


# ---- int16 LOGISTIC / TANH ------------------------------------------------------------------

#: |x| * multiplier must fit int32 for every int16 x (the reference would overflow).
_MAX_S16_MULTIPLIER = 65535


def lower_sigmoid_s16(node: Node, op: str) -> list[Call]:
    """int16 LOGISTIC (``op="logistic"``) or TANH (``op="tanh"``): TFLite's interpolated uint16
    sigmoid table, ``mcu_logistic_s16``/``mcu_tanh_s16``."""
    x, y = node.input(0), node.output
    (si, zi), (so, zo) = _quant(node, x), _quant(node, y)
    if zi != 0 or zo != 0:
        raise unsupported(
            node, f"int16 {op} needs zero points 0 (input {zi}, output {zo}), as LiteRT requires"
        )
    try:
        if op == "logistic":
            lut.logistic_int16(np.zeros(1, np.int16), si, so, zo)  # checks the output scale
        else:
            lut.tanh_int16(np.zeros(1, np.int16), si, so, zo)
    except ValueError as e:
        raise unsupported(node, str(e)) from None
    mult, shift = lut.int16_lut_params(si, "logistic" if op == "logistic" else "tanh")
    if mult == 0:  # power-of-two input scale: the reference uses 3 << shift, no right shift
        mult, shift = 3 << shift, 0
    if mult > _MAX_S16_MULTIPLIER:
        raise unsupported(
            node,
            f"int16 {op}: input scale {si:.6g} is too large (x * {mult} overflows int32 in the "
            "reference)",
        )
    kernel = f"mcu_{op}_s16"
    args: list[Value] = [mult, shift, x.size, TensorRef(x), TensorRef(y, out=True)]
    return [
        Call(
            kernel,
            (kernel, "mcu_sigmoid_table_u16"),
            args,
            comment=f"int16 {op}: (x * {mult} + round) >> {shift}, interpolated sigmoid table",
        )
    ]


def lower_logistic_tanh(node: Node, op: str) -> list[Call] | None:
    """LOGISTIC/TANH for int8 (table) and int16 (interpolation); ``None`` for other types."""
    ops = _operands(node)
    if ops is None:
        return None
    if ops[0].dtype is DType.INT16:
        return lower_sigmoid_s16(node, op)
    if op == "logistic":
        return lower_lut_s8(
            node,
            lut.logistic_lut,
            "LiteRT SigmoidPrepare LUTPopulate",
        )
    return lower_lut_s8(
        node,
        lut.tanh_lut,
        "LiteRT TanhPrepare LUTPopulate",
    )


# ---- PRELU ----------------------------------------------------------------------------------


def _f32(x: float) -> np.float32:
    return np.float32(x)


def prelu_multipliers(s_in: float, s_alpha: float, s_out: float) -> tuple[int, int, int, int]:
    """LiteRT ``PreluPrepare``: ``QuantizeMultiplier`` of ``s_in / s_out`` (identity branch)
    and ``s_in * s_alpha / s_out`` (alpha branch), both evaluated in float32 (the scales are
    ``float``) and widened to double. Returns (m1, shift1, m2, shift2)."""
    r1 = float(np.float32(_f32(s_in) / _f32(s_out)))
    r2 = float(np.float32(np.float32(_f32(s_in) * _f32(s_alpha)) / _f32(s_out)))
    m1, sh1 = quantize_multiplier(r1)
    m2, sh2 = quantize_multiplier(r2)
    return m1, sh1, m2, sh2


def lower_prelu(node: Node) -> list[Call] | None:
    """int8 PRELU: ``mcu_prelu_s8``; ``None`` for non-integer nodes."""
    x, alpha, y = node.input(0), node.input(1), node.output
    if x.dtype not in _INT and y.dtype not in _INT:
        return None
    if not (x.dtype is DType.INT8 and alpha.dtype is DType.INT8 and y.dtype is DType.INT8):
        if x.dtype is y.dtype and x.dtype is not DType.INT8 and alpha.dtype is x.dtype:
            return None  # uint8/int16: no kernel (base class reports it)
        raise unsupported(
            node,
            f"input {x.dtype.value}, alpha {alpha.dtype.value}, output {y.dtype.value}: "
            "int8 PRELU needs all three int8 (LiteRT requires alpha of the input's type)",
        )
    if y.shape != x.shape:
        raise unsupported(node, "alpha must broadcast to the input's shape (output = input shape)")
    (si, zi), (sa, za), (so, zo) = _quant(node, x), _quant(node, alpha), _quant(node, y)
    m1, sh1, m2, sh2 = prelu_multipliers(si, sa, so)
    params = Struct(
        "mcu_prelu_params",
        [
            ("input_offset", -zi),
            ("alpha_offset", -za),
            ("output_offset", zo),
            ("multiplier_pos", m1),
            ("shift_pos", sh1),
            ("multiplier_neg", m2),
            ("shift_neg", sh2),
        ],
    )
    args: list[Value] = [
        params,
        bcast_struct(node, x, alpha, y),
        TensorRef(x),
        TensorRef(alpha),
        TensorRef(y, out=True),
    ]
    return [
        Call(
            "mcu_prelu_s8",
            ("mcu_prelu_s8", "mcu_binary_bcast"),
            args,
            comment="PRELU (reference_ops::BroadcastPrelu4DSlow)",
        )
    ]


# ---- SOFTMAX --------------------------------------------------------------------------------


def lower_softmax(node: Node, beta: float) -> list[Call] | None:
    """int8 SOFTMAX over the last axis: ``mcu_softmax_s8``; ``None`` for non-integer nodes."""
    ops = _operands(node)
    if ops is None:
        return None
    x, y = ops
    if x.dtype is not DType.INT8:
        return None
    si, _ = _quant(node, x)
    so, zo = _quant(node, y)
    try:
        if from_uint8(node):
            # the uint8 reference adds 0 (uint8 min) where the int8 kernel adds -128: the same
            # stored value; LiteRT checks no uint8 output quantization
            p = softmax_prepare(beta, si, so, zo + 128, "uint8")
        else:
            p = softmax_prepare(beta, si, so, zo, "int8")
    except ValueError as e:
        raise unsupported(node, str(e)) from None
    depth = x.shape[-1]
    rows = x.size // depth if depth else 0
    table = CArray(
        "exp_table",
        p.exp_table.astype(np.int32),
        f"softmax exp(beta * s_in * -k), Q0.31 (multiplier {p.input_multiplier}, "
        f"left shift {p.input_left_shift}, diff_min {p.diff_min})",
    )
    args: list[Value] = [table, rows, depth, TensorRef(x), TensorRef(y, out=True)]
    return [
        Call(
            "mcu_softmax_s8",
            ("mcu_softmax_s8",),
            args,
            comment=f"softmax over {depth} elements, {rows} rows (reference_ops::Softmax)",
        )
    ]
