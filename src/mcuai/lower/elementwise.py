"""Lowering shared by the element-wise binary ops (ADD, SUB, MUL, MAXIMUM, MINIMUM) and the
2-D pools (AVERAGE_POOL_2D, MAX_POOL_2D).

The kernels (``mcu_<op>_s8`` / ``mcu_<op>_s16``, see ``kernels/mcu_binary_bcast.h``) take a
:func:`broadcast_walk` and, for the arithmetic ops, a parameter struct computed here exactly as
the TFLite reference's ``Prepare`` does:

- ADD/SUB (``kernels/add.cc``, ``kernels/sub.cc``, general quantized path): ``left_shift`` 20
  (int8) or 15 (int16); ``twice_max = 2 * max(s1, s2)``; input multipliers ``s_i / twice_max``
  and output multiplier ``twice_max / (2^left_shift * s_out)``, all in double from the float32
  scales, each through ``QuantizeMultiplierSmallerThanOneExp`` (shift <= 0). An output
  multiplier >= 1 (absurdly small output scale) is refused: TFLite aborts on it (ADD) or
  shifts by a negative amount (SUB).
- int16 ADD/SUB have a second, power-of-two path (``pot_scale_int16``, LSTM-style) taken when the
  op's ``pot_scale_int16`` option is true *and* all three scales are powers of two. The general
  path is used whenever a scale is not a power of two or the option is known to be false; with
  only power-of-two scales and an unknown option the node is refused rather than guessed.
- MUL (``kernels/mul.cc``): ``QuantizeMultiplier(s1 * s2 / s_out)`` with the product and the
  quotient evaluated in float32 (the scales are ``float`` in TFLite), widened to double.
- MAXIMUM/MINIMUM compare raw integers (no parameters).
- AVERAGE_POOL_2D/MAX_POOL_2D (``kernels/pooling.cc``) work on raw integers with the fused
  activation as a clamp; TFLite only DCHECKs that input and output quantization are equal.
  TFLite uint8 AVERAGE_POOL_2D (``reference_ops::AveragePool``, uint8) rounds the non-negative
  uint8 sum half up: ``mcu_avgpool2d_roundup_s8`` on the int8-stored values
  (``passes/uint8_to_int8``). uint8 ADD/SUB/MUL/MAXIMUM/MINIMUM/MAX_POOL_2D follow the int8
  rules exactly (offsets and shifted clamps), so the int8 kernels serve them.

Functions return ``None`` for dtypes they do not handle (the op then falls back to its base
class, e.g. for float32) and raise :func:`~mcuai.lower.context.unsupported` for quantized cases
the reference rejects or that mcuai does not reproduce.
"""

from __future__ import annotations

import math

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.context import dims4, hw, scale_of, unsupported, zp_of
from mcuai.lower.program import Call, Struct, TensorRef, Value
from mcuai.lower.uint8 import from_uint8
from mcuai.quant.fixed_point import quantize_multiplier

#: Kernel dtype suffix of the integer types the binary kernels handle.
_SUFFIX = {DType.INT8: "s8", DType.INT16: "s16"}


def broadcast_walk(
    a_shape: tuple[int, ...], b_shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> tuple[list[int], list[int], list[int]]:
    """Collapse a broadcast to at most 4 dims: (output dims, strides of a, strides of b).

    Shapes are right-aligned (numpy/TFLite broadcasting). Output dims of size 1 are dropped;
    adjacent dims are merged when each input is either contiguous over both or broadcast over
    both. The result is padded in front with size 1 / stride 0 to exactly 4 entries. Raises
    ``ValueError`` when more than 4 dims remain (alternating broadcast patterns of rank >= 5).
    """
    rank = len(out_shape)

    def strides(shape: tuple[int, ...]) -> list[int]:
        s = (1,) * (rank - len(shape)) + tuple(shape)
        st = [0] * rank
        acc = 1
        for i in range(rank - 1, -1, -1):
            st[i] = acc if s[i] != 1 else 0
            acc *= s[i]
        return st

    sa, sb = strides(a_shape), strides(b_shape)
    dims: list[int] = []
    ta: list[int] = []
    tb: list[int] = []
    for d, x, y in zip(out_shape, sa, sb, strict=True):
        if d == 1:
            continue
        if dims and ta[-1] == x * d and tb[-1] == y * d:
            dims[-1] *= d
            ta[-1], tb[-1] = x, y
            continue
        dims.append(d)
        ta.append(x)
        tb.append(y)
    if len(dims) > 4:
        raise ValueError(
            f"broadcast of {list(a_shape)} and {list(b_shape)} needs {len(dims)} loop levels"
        )
    pad = 4 - len(dims)
    return [1] * pad + dims, [0] * pad + ta, [0] * pad + tb


def bcast_struct(node: Node, a: Tensor, b: Tensor, out: Tensor) -> Struct:
    """The ``mcu_bcast`` walk of ``out = f(a, b)``."""
    try:
        d, sa, sb = broadcast_walk(a.shape, b.shape, out.shape)
    except ValueError as e:
        raise unsupported(node, str(e)) from None
    fields: list[tuple[str, Value]] = [(f"d{i}", v) for i, v in enumerate(d)]
    fields += [(f"a{i}", v) for i, v in enumerate(sa)]
    fields += [(f"b{i}", v) for i, v in enumerate(sb)]
    return Struct("mcu_bcast", fields)


def _quantized_operands(node: Node) -> tuple[Tensor, Tensor, Tensor, str] | None:
    """(a, b, out, dtype suffix) when all three share an int8/int16 type; ``None`` otherwise
    (float and other types are not handled here)."""
    a, b, y = node.input(0), node.input(1), node.output
    if y.dtype not in _SUFFIX:
        return None
    if a.dtype is not y.dtype or b.dtype is not y.dtype:
        raise unsupported(
            node,
            f"mixed types {a.dtype.value}, {b.dtype.value} -> {y.dtype.value} "
            "(inputs and output must share one integer type)",
        )
    return a, b, y, _SUFFIX[y.dtype]


def _clamp(node: Node) -> tuple[int, int]:
    """The fused activation as an integer clamp (the output type's range when absent)."""
    y = node.output
    clamp = getattr(node.attrs, "clamp", None)
    lo, hi = (y.dtype.qmin, y.dtype.qmax) if clamp is None else (clamp.lo, clamp.hi)
    lo = y.dtype.qmin if math.isinf(lo) else max(int(lo), y.dtype.qmin)
    hi = y.dtype.qmax if math.isinf(hi) else min(int(hi), y.dtype.qmax)
    return lo, hi


def _f32(x: float) -> float:
    return float(np.float32(x))


def _is_pot(scale: float) -> bool:
    """TFLite ``CheckedLog2``: log2(scale) within 1e-3 of an integer."""
    lg = math.log2(scale)
    return abs(lg - round(lg)) < 1e-3


def _smaller_than_one(node: Node, real: float, what: str) -> tuple[int, int]:
    """``QuantizeMultiplierSmallerThanOneExp`` (shift <= 0); refuses multipliers >= 1."""
    if not 0.0 < real < 1.0:
        raise unsupported(
            node,
            f"{what} multiplier {real:.6g} is not in (0, 1): the output scale is too small "
            "for the TFLite rule (the reference refuses or misbehaves on it)",
        )
    m, s = quantize_multiplier(real)
    assert s <= 0
    return m, s


def add_params(node: Node, a: Tensor, b: Tensor, y: Tensor, left_shift: int) -> Struct:
    """``mcu_add_params`` of TFLite's general quantized ADD/SUB path."""
    s1, s2, so = (_f32(scale_of(node, t)) for t in (a, b, y))
    twice_max = 2.0 * max(s1, s2)
    m1, sh1 = _smaller_than_one(node, s1 / twice_max, "input 1")
    m2, sh2 = _smaller_than_one(node, s2 / twice_max, "input 2")
    mo, sho = _smaller_than_one(node, twice_max / (float(1 << left_shift) * so), "output")
    lo, hi = _clamp(node)
    return Struct(
        "mcu_add_params",
        [
            ("input1_offset", -zp_of(node, a)),
            ("input2_offset", -zp_of(node, b)),
            ("output_offset", zp_of(node, y)),
            ("left_shift", left_shift),
            ("input1_multiplier", m1),
            ("input1_shift", sh1),
            ("input2_multiplier", m2),
            ("input2_shift", sh2),
            ("output_multiplier", mo),
            ("output_shift", sho),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )


def _require_zero_points(node: Node, ts: tuple[Tensor, ...]) -> None:
    for t in ts:
        if zp_of(node, t) != 0:
            raise unsupported(
                node, f"int16 tensor '{t.name}' has zero point {zp_of(node, t)} (must be 0)"
            )


def lower_add_sub(node: Node, op: str) -> list[Call] | None:
    """ADD (``op="add"``) or SUB (``op="sub"``) for int8/int16; ``None`` for other types."""
    operands = _quantized_operands(node)
    if operands is None:
        return None
    a, b, y, sfx = operands
    left_shift = 20
    if y.dtype is DType.INT16:
        _require_zero_points(node, (a, b, y))
        left_shift = 15
        pot_option = getattr(node.attrs, "pot_scale_int16", None)
        all_pot = all(_is_pot(scale_of(node, t)) for t in (a, b, y))
        if all_pot and pot_option is not False:
            why = (
                "int16 with power-of-two scales takes TFLite's pot_scale_int16 path"
                if pot_option
                else "int16 with power-of-two scales: the model's pot_scale_int16 option decides"
                " between two TFLite rules and the importer did not record it"
            )
            raise unsupported(node, f"{why}; only the general-scale int16 rule is implemented")
    params = add_params(node, a, b, y, left_shift)
    kernel = f"mcu_{op}_{sfx}"
    args: list[Value] = [
        params,
        bcast_struct(node, a, b, y),
        TensorRef(a),
        TensorRef(b),
        TensorRef(y, out=True),
    ]
    return [Call(kernel, (kernel, "mcu_binary_bcast"), args)]


def lower_mul(node: Node) -> list[Call] | None:
    """MUL for int8/int16; ``None`` for other types."""
    operands = _quantized_operands(node)
    if operands is None:
        return None
    a, b, y, sfx = operands
    if y.dtype is DType.INT16:
        _require_zero_points(node, (a, b, y))
    s1, s2, so = (np.float32(scale_of(node, t)) for t in (a, b, y))
    real = float(np.float32(np.float32(s1 * s2) / so))
    mult, shift = quantize_multiplier(real)
    lo, hi = _clamp(node)
    params = Struct(
        "mcu_mul_params",
        [
            ("input1_offset", -zp_of(node, a)),
            ("input2_offset", -zp_of(node, b)),
            ("output_offset", zp_of(node, y)),
            ("multiplier", mult),
            ("shift", shift),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    kernel = f"mcu_mul_{sfx}"
    args: list[Value] = [
        params,
        bcast_struct(node, a, b, y),
        TensorRef(a),
        TensorRef(b),
        TensorRef(y, out=True),
    ]
    return [Call(kernel, (kernel, "mcu_binary_bcast"), args)]


def lower_min_max(node: Node, op: str) -> list[Call] | None:
    """MAXIMUM (``op="maximum"``) or MINIMUM (``op="minimum"``) on raw int8/int16 values."""
    operands = _quantized_operands(node)
    if operands is None:
        return None
    a, b, y, sfx = operands
    kernel = f"mcu_{op}_{sfx}"
    args: list[Value] = [
        bcast_struct(node, a, b, y),
        TensorRef(a),
        TensorRef(b),
        TensorRef(y, out=True),
    ]
    return [Call(kernel, (kernel, "mcu_binary_bcast"), args)]


def pool_window(node: Node, lo: int, hi: int) -> tuple[Struct, Struct]:
    """The ``mcu_conv_params`` (strides, top/left padding, clamp ``[lo, hi]``; offsets unused)
    and the window ``mcu_dims`` of a pooling node, shared by every integer pooling kernel."""
    a = node.attrs
    params = Struct(
        "mcu_conv_params",
        [
            ("input_offset", 0),
            ("output_offset", 0),
            ("stride", hw(a.stride)),
            ("padding", hw((a.pads[0], a.pads[2]))),
            ("dilation", hw((1, 1))),
            ("ch_mult", 1),
            ("act_min", lo),
            ("act_max", hi),
        ],
    )
    window = Struct("mcu_dims", [("n", 1), ("h", a.kernel[0]), ("w", a.kernel[1]), ("c", 1)])
    return params, window


def lower_pool(node: Node, kind: str) -> list[Call] | None:
    """AVERAGE_POOL_2D (``kind="avg"``) or MAX_POOL_2D (``kind="max"``) for int8/int16 NHWC data;
    ``None`` for other types. The window, strides and top/left padding go in an
    ``mcu_conv_params`` (offsets unused) and the window size in a filter ``mcu_dims``."""
    x, y = node.input(0), node.output
    if y.dtype not in _SUFFIX:
        return None
    if x.dtype is not y.dtype:
        raise unsupported(node, f"{x.dtype.value} input with a {y.dtype.value} output")
    lo, hi = _clamp(node)
    params, window = pool_window(node, lo, hi)
    kernel = f"mcu_{kind}pool2d_{_SUFFIX[y.dtype]}"
    if kind == "avg" and from_uint8(node):  # TFLite uint8 rounding: (sum + n/2) / n, sum >= 0
        kernel = "mcu_avgpool2d_roundup_s8"
    args: list[Value] = [params, dims4(x), TensorRef(x), window, dims4(y), TensorRef(y, out=True)]
    return [Call(kernel, (kernel,), args)]
