"""Lowering of layers that run in place with an overlap (:mod:`mcuai.memory.overlap`).

A convolution, depthwise convolution or max pooling whose node has ``alias`` set (chosen by
:mod:`mcuai.passes.in_place` only where it lowers the peak) is lowered to its
``*_inplace_s8`` kernel: the generic loop in raster order whose contract lets the output start
below the input (or, with ``node.backward``, walk it backwards with the output above the
input: the last argument). Same arithmetic as the generic kernels (bias not folded).
Lowering branches in ``ops/conv2d.py``, ``ops/depthwise_conv2d.py`` and ``ops/max_pool2d.py``
call :func:`conv_call` / :func:`maxpool_call`.
"""

from __future__ import annotations

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.lower.context import dims4
from mcuai.lower.conv_common import bias_values
from mcuai.lower.elementwise import pool_window
from mcuai.lower.program import Call, CArray, Raw, Scratch, Struct, TensorRef, Value
from mcuai.lower.repack import cols_bytes


def conv_call(kernel: str, node: Node, params: Struct, quant: Struct) -> Call:
    """``mcu_conv2d_inplace_s8`` / ``mcu_dwconv2d_inplace_s8`` with the generic arguments."""
    x, w, y = node.input(0), node.input(1), node.output
    assert w.data is not None
    bias = bias_values(node, node.opt_input(2), y.shape[-1], (DType.INT32,))
    _, kh, kw, cin_g = w.shape
    # conv, one group: the window of a pixel gathered as int16 in a scratch (see the kernel);
    # 1x1 windows: two pixels' columns in the DSP layout (two pixels per pass on DSP cores)
    col = 2 * kh * kw * cin_g if kernel == "mcu_conv2d_inplace_s8" and cin_g == x.shape[-1] else 0
    if col and kh * kw == 1:
        col = cols_bytes(cin_g, 2)
    args: list[Value] = [
        params,
        quant,
        dims4(x),
        TensorRef(x),
        dims4(w),
        CArray("weights", w.data.reshape(-1)),
        Raw("NULL") if bias is None else CArray("bias", bias.astype(np.int32)),
        dims4(y),
        TensorRef(y, out=True),
        int(node.backward),
    ]
    if kernel == "mcu_conv2d_inplace_s8":
        args.append(Scratch() if col else Raw("NULL"))
        files: tuple[str, ...] = (kernel, "mcu_dsp_mm")
    else:
        files = (kernel, "mcu_dsp_dw", "mcu_dsp_mm")
    return Call(kernel, files, args, scratch_bytes=col)


def maxpool_call(node: Node, lo: int, hi: int, pad_value: int) -> Call:
    """``mcu_maxpool2d_inplace_s8``: int8 max pooling whose out-of-image window positions hold
    ``pad_value`` (-128: TFLite's clipped window)."""
    x, y = node.input(0), node.output
    params, window = pool_window(node, lo, hi)
    args: list[Value] = [
        params,
        pad_value,
        dims4(x),
        TensorRef(x),
        window,
        dims4(y),
        TensorRef(y, out=True),
        int(node.backward),
    ]
    return Call("mcu_maxpool2d_inplace_s8", ("mcu_maxpool2d_inplace_s8", "mcu_dsp_dw"), args)
