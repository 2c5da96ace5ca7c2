"""ONNX frontend: ``.onnx`` (opsets 10-21) -> the same quantized IR as TFLite models.

Steps: :mod:`.reader` parses and checks the protobuf (and refuses dynamic quantization),
:mod:`.qparams` gathers the quantization parameters of every integer tensor, then each node in
order is folded (:mod:`.fold`: constant subgraphs), turned into a recipe (QuantizeLinear,
DequantizeLinear, Transpose: no node until needed, see :mod:`.builder`) or converted under the
plan :mod:`.qdq` chooses (a QDQ group becomes one integer node) by :mod:`.converters` /
:mod:`.qoperator`. Every unsupported node is reported in one :class:`UnsupportedError`; a model
that contradicts itself is a :class:`ModelError`; both name the file.

Layout: NCHW values become NHWC where spatial ops need them (once); graph inputs and outputs
keep the model's layout (transposes at the boundary) unless ``io_layout="nhwc"``, which gives
every input and output the layout its first reader/its producer uses (no boundary transposes).
Every node carries ``numerics="onnxruntime"``: the reference is ONNX Runtime's arithmetic.

``graph.metadata["onnx_layouts"]`` (JSON) maps each IR tensor that holds an ONNX value to
``{"onnx": name, "perm": layout, "quantized": bool}``: the IR tensor is that value transposed by
``perm`` (``ir_shape[j] = onnx_shape[perm[j]]``), quantized with the tensor's parameters when
``quantized`` (a data-movement op run on integers), for per-layer validation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mcuai.errors import GraphError, ModelError, UnsupportedError, UsageError
from mcuai.frontends.onnx.builder import (
    Builder,
    FromInput,
    Invalid,
    Quant,
    Skip,
    Unsupported,
    Val,
    dtype_of,
    quant_params,
    quantize_array,
)
from mcuai.frontends.onnx.context import Cx
from mcuai.frontends.onnx.converters import RULES
from mcuai.frontends.onnx.fold import constant_node, try_fold
from mcuai.frontends.onnx.layout import identity, tag
from mcuai.frontends.onnx.qdq import Rule, select
from mcuai.frontends.onnx.qoperator import QOP_RULES
from mcuai.frontends.onnx.qparams import QOP_NAMES, QuantTable
from mcuai.frontends.onnx.reader import OnnxModel, OnnxNode, read_model
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.ir.verify import verify

IO_LAYOUTS = ("model", "nhwc")
#: What numpy and onnx raise on data that contradicts itself (reported as ModelError).
_MALFORMED = (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError, OverflowError)

__all__ = ["IO_LAYOUTS", "import_onnx", "looks_like_onnx"]


def looks_like_onnx(data: bytes) -> bool:
    """True when ``data`` parses as an ONNX ModelProto with a graph and an opset."""
    import onnx

    m = onnx.ModelProto()
    try:
        m.ParseFromString(data)
    except Exception:
        return False
    return m.HasField("graph") and bool(m.opset_import) and m.ir_version > 0


def _rule(n: OnnxNode) -> Rule | None:
    if not n.domain and n.op in RULES:
        return RULES[n.op]
    return QOP_RULES.get((n.domain, n.op))


def _dequantize_linear(b: Builder, n: OnnxNode) -> None:
    x = b.get(n.inputs[0])
    if b.spec(n.inputs[0]) is None:
        raise Skip(n.name)  # its parameters are not constant: already reported
    if not x.dtype.is_integer or x.quant is None:
        raise Unsupported(f"'{x.name}' is {x.dtype.value} without quantization parameters")
    b.define(n.outputs[0], b.dequant_val(x, n.name, n.outputs[0]))


def _quantize_linear(b: Builder, n: OnnxNode) -> None:
    x = b.get(n.inputs[0])
    out = n.outputs[0]
    spec = b.spec(out)
    if spec is None:
        raise Skip(out)  # the parameters are not constant: already reported
    dtype = b.ir_dtype(out)
    q = quant_params(spec, x.rank)
    assert q is not None
    if not x.dtype.is_float:
        raise Unsupported(f"QuantizeLinear of the {x.dtype.value} tensor '{x.name}'")
    if b.const_like(x):
        b.define_const(out, quantize_array(b.float_data(x), q, dtype))
        return
    b.define(out, Val(out, x.shape, dtype, q, recipe=Quant(x, n.name)))


def _convert(b: Builder, n: OnnxNode) -> list[OnnxNode]:
    """Convert one node; returns the nodes it absorbed (its QuantizeLinear, fused Relu...)."""
    if not n.domain and n.op == "Constant":
        constant_node(b, n)
        return []
    if not n.domain and n.op == "DequantizeLinear":
        _dequantize_linear(b, n)
        return []
    if not n.domain and n.op == "QuantizeLinear":
        _quantize_linear(b, n)
        return []
    if try_fold(b, n):
        return []
    rule = _rule(n)
    if rule is None:
        where = f" of domain '{n.domain}'" if n.domain else ""
        raise Unsupported(f"operator{where} not supported")
    for x in n.inputs:
        if x:
            b.get(x)  # an input whose producer failed: skip quietly (already reported)
    plan = select(b, n, rule)
    first = len(b.nodes)
    rule.convert(Cx(b, n, plan))
    if plan.reason and b.quantized and any(_computes_in_float(x) for x in b.nodes[first:]):
        b.warnings.append(f"'{n.name}' ({n.op}) runs in float32: {plan.reason}")
    return plan.absorbed


def _computes_in_float(node: Node) -> bool:
    if node.op in ("quantize", "dequantize"):
        return False
    return any(t is not None and t.dtype.is_float for t in [*node.inputs[:1], *node.outputs])


def _placeholders(
    b: Builder, n: OnnxNode, inferred: dict[str, tuple[tuple[int, ...], np.dtype[Any]]]
) -> None:
    """Stand-ins for the outputs of a node that could not be converted (shapes from ONNX shape
    inference), so that later nodes are still checked; the import fails in the end anyway."""
    for o in n.outputs:
        if o and o not in b.vals and o in inferred:
            shape, dt = inferred[o]
            d = dtype_of(dt)
            if d is not None:
                b.define(
                    o, Val(o, shape, d, quant_params(b.spec(o), len(shape)), recipe=FromInput())
                )


def _source(model: OnnxModel) -> str:
    ops = {n.op for n in model.nodes}
    if ops & (QOP_NAMES | {"ConvInteger", "MatMulInteger"}):
        return "onnx-qoperator"
    if ops & {"QuantizeLinear", "DequantizeLinear"}:
        return "onnx-qdq"
    return "onnx"


def import_onnx(path: Path, data: bytes | None = None, io_layout: str = "model") -> Graph:
    """Read ``path`` (or ``data``, naming it ``path`` in errors) into an IR graph.

    ``io_layout``: ``"model"`` keeps the model's input/output layouts (NCHW stays NCHW, with
    transposes at the boundary); ``"nhwc"`` leaves them in the layout the graph computes in.
    """
    if io_layout not in IO_LAYOUTS:
        raise UsageError(f"io_layout must be one of {', '.join(IO_LAYOUTS)}, not '{io_layout}'")
    if data is None:
        from mcuai.frontends.tflite.reader import load_bytes

        data = load_bytes(path)
    model = read_model(data, str(path))
    try:
        table = QuantTable(model)
    except _MALFORMED as e:
        raise ModelError(f"{path}: inconsistent quantization parameters ({e})") from None
    b = Builder(model, table, io_layout)
    b.quantized = _source(model) != "onnx"
    problems = [f"  {p}" for p in table.problems]
    invalid: list[str] = []
    for name, (shape, dt) in model.inputs.items():
        try:
            b.define_input(name, shape, dt)
        except Unsupported as e:
            problems.append(f"  {e}")
    for name, arr in model.consts.items():
        try:
            b.define_const(name, arr)
        except (Invalid, *_MALFORMED) as e:
            invalid.append(f"initializer '{name}': {e}")
    absorbed: set[int] = set()
    inferred: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] | None = None
    for n in model.nodes:
        if n.index in absorbed:
            continue
        try:
            absorbed.update(x.index for x in _convert(b, n))
            continue
        except Unsupported as e:
            problems.append(f"  {n.label}: {e}")
        except Invalid as e:
            invalid.append(f"node {n.label}: {e}")
        except Skip:
            pass
        except _MALFORMED as e:  # numpy/onnx errors on a self-contradicting node
            invalid.append(f"node {n.label}: {type(e).__name__}: {e}")
        # keep going past the failure so that every problem is reported at once
        if inferred is None:
            inferred = model.inferred_types()
        _placeholders(b, n, inferred)
    outputs: list[Tensor] = []
    for name in model.outputs:
        try:
            v = b.get(name)
            perm = b.pref(v) if io_layout == "nhwc" else None
            outputs.append(b.tensor(v, perm if perm is not None else identity(v.rank)))
        except Skip:
            pass
        except Unsupported as e:
            problems.append(f"  output '{name}': {e}")
        except (Invalid, *_MALFORMED) as e:
            invalid.append(f"output '{name}': {e}")
    if invalid:
        more = f" (and {len(invalid) - 3} more)" if len(invalid) > 3 else ""
        raise ModelError(f"{path}: inconsistent model: {'; '.join(invalid[:3])}{more}")
    if problems:
        raise UnsupportedError(
            f"{path}: {len(problems)} problem(s), the model cannot be deployed:\n"
            + "\n".join(problems)
        )
    inputs = []
    for name in model.inputs:
        v = b.vals[name]
        inputs.append(v.tensors[v.home] if v.home is not None else b.tensor(v, identity(v.rank)))
    _name_outputs(b, model, outputs)
    graph = Graph(
        name=path.stem,
        nodes=b.nodes,
        inputs=inputs,
        outputs=outputs,
        source=_source(model),
    )
    graph.warnings.extend(model.warnings)
    graph.warnings.extend(b.warnings)
    graph.metadata["path"] = str(path)
    graph.metadata["onnx_opset"] = str(model.opset)
    graph.metadata["onnx_producer"] = model.producer
    graph.metadata["io_layout"] = io_layout
    live = {t.uid for t in graph.tensors()}
    graph.metadata["onnx_layouts"] = json.dumps(
        {
            t.name: {"onnx": name, "perm": list(perm), "quantized": holds == "quantized"}
            for t in graph.tensors()
            if t.uid in b.layouts and t.uid in live
            for name, perm, holds in [b.layouts[t.uid]]
        },
        sort_keys=True,
    )
    try:
        verify(graph, "import")
    except GraphError as e:  # the file is self-inconsistent (shapes, quantization, order)
        raise ModelError(f"{path}: {e}") from None
    return graph


def _name_outputs(b: Builder, model: OnnxModel, outputs: list[Tensor]) -> None:
    """Graph outputs carry the model's output names (the home tensor is renamed)."""
    inputs = {id(v.tensors.get(v.home)) for n in model.inputs if (v := b.vals[n]).home is not None}
    for name, t in zip(model.outputs, outputs, strict=False):
        if t.name == name or t.is_const or id(t) in inputs:
            continue
        for v in b.vals.values():
            for perm, other in v.tensors.items():
                if other.name == name and other is not t:
                    other.name = b.unique(name, tag(perm), force=True)
        t.name = name
