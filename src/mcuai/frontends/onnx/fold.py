"""Constant folding at import: nodes whose inputs are all constants are evaluated once.

This resolves shape subgraphs (``Shape -> Gather -> Concat -> Reshape``: ``Shape`` and
``Size`` of a value with a static shape are constants), ``Constant``/``ConstantOfShape``/
``Range`` and arithmetic on initializers. Evaluation uses ONNX's reference implementation
(``onnx.reference``), node by node.

Quantized weights stay quantized: a layout op (Reshape, Transpose, ...) on the dequantization of
an integer constant is applied to the integers, and the result is again a dequantization.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import helper

from mcuai.frontends.onnx.builder import Builder, Unsupported, Val
from mcuai.frontends.onnx.layout import reshape_axis
from mcuai.frontends.onnx.reader import OnnxNode
from mcuai.ir.tensor import QuantParams

#: Never evaluated here: Q/DQ are recipes; random ops are not constants.
NO_FOLD = {
    "QuantizeLinear",
    "DequantizeLinear",
    "DynamicQuantizeLinear",
    "RandomNormal",
    "RandomNormalLike",
    "RandomUniform",
    "RandomUniformLike",
    "Multinomial",
    "Bernoulli",
}
#: Ops that only move values: folded on integers when the input is a quantized constant.
INT_FOLD = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity"}
MAX_FOLD_ELEMENTS = 1 << 24


def constant_node(b: Builder, n: OnnxNode) -> None:
    """ONNX ``Constant``: its one attribute is the value."""
    for key, v in n.attrs.items():
        if key == "value" and isinstance(v, np.ndarray):
            data = v
        elif key in ("value_float", "value_floats"):
            data = np.asarray(v, np.float32)
        elif key in ("value_int", "value_ints"):
            data = np.asarray(v, np.int64)
        else:
            raise Unsupported(f"Constant with attribute '{key}'")
        b.define_const(n.outputs[0], data)
        return
    raise Unsupported("Constant without a value")


def try_fold(b: Builder, n: OnnxNode) -> bool:
    """Fold ``n`` when possible; True when its outputs are now constants."""
    if n.domain or n.op in NO_FOLD or not n.outputs:
        return False
    if n.op in ("Shape", "Size"):
        v = b.vals.get(n.inputs[0]) if n.inputs else None
        if v is None:
            return False
        if n.op == "Size":
            data = np.asarray(int(np.prod(v.shape)), np.int64)
        else:
            start, end = int(n.attr("start", 0)), n.attr("end")
            data = np.asarray(v.shape[start : None if end is None else int(end)], np.int64)
        b.define_const(n.outputs[0], data)
        return True
    names = [x for x in n.inputs if x]
    if not names:
        return False
    vals = [b.vals.get(x) for x in names]
    if any(v is None for v in vals):
        return False
    present = [v for v in vals if v is not None]
    if not all(b.const_like(v) for v in present):
        return False
    first = b.vals[n.inputs[0]] if n.inputs and n.inputs[0] else None
    if n.op in INT_FOLD and first is not None and first.const is None:
        src = b.qsource(first)
        if src is not None and src.const is not None and _fold_int(b, n, src):
            return True
    feeds: dict[str, np.ndarray] = {}
    for name, v in zip(names, present, strict=True):
        feeds[name] = b.float_data(v)
    outs = _evaluate(b, n, feeds)
    for o, data in zip(n.outputs, outs, strict=False):
        if o:
            b.define_const(o, np.asarray(data))
    return True


def _fold_int(b: Builder, n: OnnxNode, src: Val) -> bool:
    """Apply a layout op to a quantized constant's integers (keeping its parameters)."""
    assert src.const is not None and src.quant is not None
    feeds = {n.inputs[0]: src.const}
    for x in n.inputs[1:]:
        if x:
            v = b.vals[x]
            feeds[x] = b.float_data(v) if v.const is None else v.const
    data = np.asarray(_evaluate(b, n, feeds)[0])
    q = src.quant
    if q.per_axis and q.axis is not None:
        if n.op == "Transpose":
            perm = n.attr("perm") or list(reversed(range(src.rank)))
            axis: int | None = [int(p) for p in perm].index(q.axis)
        else:
            axis = reshape_axis(src.shape, tuple(data.shape), q.axis)
        if axis is None:
            return False
        q = QuantParams(q.scale, q.zero_point, axis)
    ival = Val(n.outputs[0], tuple(int(d) for d in data.shape), src.dtype, q, const=data)
    b.define(n.outputs[0], b.dequant_val(ival, n.name, n.outputs[0]))
    return True


def _evaluate(b: Builder, n: OnnxNode, feeds: dict[str, np.ndarray]) -> list[Any]:
    from onnx.reference import ReferenceEvaluator

    if n.proto is None:
        raise Unsupported("cannot evaluate a constant subgraph")
    inputs = [
        helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), list(v.shape))
        for k, v in feeds.items()
    ]
    outputs = [helper.make_empty_tensor_value_info(o) for o in n.outputs if o]
    graph = helper.make_graph([n.proto], "fold", inputs, outputs)
    opsets = [helper.make_opsetid("", b.model.opset)]
    model = helper.make_model(graph, opset_imports=opsets)
    try:
        res = ReferenceEvaluator(model).run(None, feeds)
    except Exception as e:
        raise Unsupported(
            f"cannot evaluate this constant subgraph ({type(e).__name__}: {e})"
        ) from None
    for r in res:
        if isinstance(r, np.ndarray) and r.size > MAX_FOLD_ELEMENTS:
            raise Unsupported("constant subgraph result is too large")
    return list(res)
