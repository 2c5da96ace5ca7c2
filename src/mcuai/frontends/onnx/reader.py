"""Read and check an ONNX file: bytes -> :class:`OnnxModel` of plain Python values.

Every problem with the file itself is one :class:`ModelError` naming it: protobuf that does not
parse, external data that cannot be loaded, a graph the ONNX checker rejects, a node that reads a
tensor nobody defines (typically a missing initializer). Valid models mcuai cannot deploy raise
:class:`UnsupportedError`: opsets outside 10..21 of the default domain, dynamic input dimensions
other than the batch, and dynamic quantization (refused here, before anything else, with every
node that computes activation scales at run time named in one message).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from mcuai.errors import ModelError, UnsupportedError

MIN_OPSET = 10
MAX_OPSET = 21
MS_DOMAIN = "com.microsoft"
MAX_ELEMENTS = 1 << 31  # no MCU tensor comes close; larger shapes mean a corrupt file

#: Ops that compute quantization parameters at run time (dynamic quantization).
DYNAMIC_OPS = {
    ("", "DynamicQuantizeLinear"),
    (MS_DOMAIN, "DynamicQuantizeMatMul"),
    (MS_DOMAIN, "MatMulIntegerToFloat"),
    (MS_DOMAIN, "DynamicQuantizeLSTM"),
    (MS_DOMAIN, "DynamicQuantizeConvInteger"),
}
#: Integer ops that are dynamic when an input comes from a dynamic op.
_INTEGER_OPS = {"ConvInteger", "MatMulInteger"}


@dataclass
class OnnxNode:
    """One node, with attributes decoded to Python values."""

    index: int
    name: str  # the node's name, or '<op>_<index>' when the model leaves it empty
    op: str
    domain: str  # "" for the default domain (ai.onnx)
    inputs: list[str]  # "" for an absent optional input
    outputs: list[str]
    attrs: dict[str, Any]
    proto: onnx.NodeProto | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """``'name' (Op)`` for messages."""
        return f"'{self.name}' ({self.op})"

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


@dataclass
class OnnxModel:
    """The checked contents of an ONNX model's main graph."""

    path: str
    opset: int  # default-domain opset
    ms_opset: int | None  # com.microsoft opset, when imported
    nodes: list[OnnxNode]  # topological order (the checker guarantees it)
    consts: dict[str, np.ndarray]  # initializers (and Constant nodes are still nodes)
    inputs: dict[str, tuple[tuple[int, ...], np.dtype[Any]]]  # real inputs: fixed shape, type
    outputs: list[str]
    elem_types: dict[str, np.dtype[Any]]  # declared element types (inputs, value_info, outputs)
    producer: str
    warnings: list[str] = field(default_factory=list)
    proto: onnx.ModelProto | None = field(default=None, repr=False)

    def inferred_types(self) -> dict[str, tuple[tuple[int, ...], np.dtype[Any]]]:
        """Static shapes and element types ONNX shape inference finds (inputs fixed as read);
        used only to keep converting past a node that failed, so that every problem of the
        model is reported at once."""
        if self.proto is None:
            return {}
        m = onnx.ModelProto()
        m.CopyFrom(self.proto)
        for vi in m.graph.input:
            if vi.name in self.inputs:
                dims = vi.type.tensor_type.shape.dim
                for d, v in zip(dims, self.inputs[vi.name][0], strict=False):
                    d.Clear()
                    d.dim_value = v
        try:
            m = onnx.shape_inference.infer_shapes(m)
        except Exception:
            return {}
        out: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] = {}
        for vi in [*m.graph.value_info, *m.graph.output]:
            tt = vi.type.tensor_type
            dt = _np_type(tt.elem_type)
            if dt is None or not tt.HasField("shape"):
                continue
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
            if all(x >= 0 for x in dims):
                out[vi.name] = (tuple(int(x) for x in dims), dt)
        return out


def _attr_value(a: onnx.AttributeProto) -> Any:
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, onnx.TensorProto):
        return numpy_helper.to_array(v)
    if isinstance(v, list):
        return [x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in v]
    return v


def _np_type(elem_type: int) -> np.dtype[Any] | None:
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    except Exception:  # undefined / string / exotic types
        return None


def parse(data: bytes, path: str) -> onnx.ModelProto:
    """Parse and check the protobuf; load external data from the file's folder."""
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as e:  # protobuf DecodeError and friends
        raise ModelError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from None
    if not model.HasField("graph") or not model.opset_import:
        raise ModelError(f"{path}: not a readable ONNX model (no graph or no opset_import)")
    tensors = list(model.graph.initializer) + [
        a.t for n in model.graph.node for a in n.attribute if a.HasField("t")
    ]
    if any(onnx.external_data_helper.uses_external_data(t) for t in tensors):
        try:
            onnx.external_data_helper.load_external_data_for_model(model, str(Path(path).parent))
        except Exception as e:
            raise ModelError(f"{path}: cannot load the model's external data ({e})") from None
    _check_references(model, path)
    try:
        # full_check adds ONNX's strict type and shape inference (what ONNX Runtime runs when
        # it loads a model): type errors between nodes are caught here, not in a converter
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"{path}: invalid ONNX model (onnx.checker: {first})") from None
    return model


def _check_references(model: onnx.ModelProto, path: str) -> None:
    """Every node input must be a graph input, an initializer or an earlier node's output."""
    g = model.graph
    known = {i.name for i in g.input} | {t.name for t in g.initializer}
    known |= {t.values.name for t in g.sparse_initializer}
    missing: list[str] = []
    for k, n in enumerate(g.node):
        for x in n.input:
            if x and x not in known:
                name = n.name or f"{n.op_type}_{k}"
                missing.append(f"node '{name}' ({n.op_type}) reads '{x}'")
        known.update(o for o in n.output if o)
    for o in g.output:
        if o.name not in known:
            missing.append(f"graph output '{o.name}'")
    if missing:
        more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
        raise ModelError(
            f"{path}: {', '.join(missing[:3])}{more}: not an initializer, graph input or output "
            "of an earlier node (missing initializer?)"
        )


def refuse_dynamic_quantization(model: onnx.ModelProto, path: str) -> None:
    """One :class:`UnsupportedError` naming every node of a dynamically quantized model."""
    producer: dict[str, tuple[str, str]] = {}
    lines: list[str] = []
    for k, n in enumerate(model.graph.node):
        name = n.name or f"{n.op_type}_{k}"
        if (n.domain if n.domain != "ai.onnx" else "", n.op_type) in DYNAMIC_OPS:
            lines.append(f"  '{name}' ({n.op_type}): computes quantization parameters at run time")
            for o in n.output:
                producer[o] = (name, n.op_type)
        elif n.op_type in _INTEGER_OPS:
            fed = [producer[x] for x in n.input if x in producer]
            if fed:
                src = ", ".join(f"'{a}' ({b})" for a, b in dict.fromkeys(fed))
                lines.append(f"  '{name}' ({n.op_type}): fed by {src}")
    if lines:
        raise UnsupportedError(
            f"{path}: dynamic quantization is not supported ({len(lines)} node(s) use "
            "activation scales computed at run time, which costs time and RAM on a "
            "microcontroller):\n" + "\n".join(lines) + "\nStatic (calibrated) quantization is "
            "required: quantize the float model with `mcuai quantize -m float.onnx --calib "
            "data.npz -o model_int8.onnx` (or onnxruntime.quantization.quantize_static)."
        )


def _opsets(model: onnx.ModelProto, path: str) -> tuple[int, int | None]:
    opset: int | None = None
    ms: int | None = None
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            opset = int(o.version)
        elif o.domain == MS_DOMAIN:
            ms = int(o.version)
    if opset is None:
        raise ModelError(f"{path}: the model imports no version of the default ONNX domain")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise UnsupportedError(
            f"{path}: opset {opset} is not supported (mcuai reads opsets {MIN_OPSET} to "
            f"{MAX_OPSET}; convert the model with onnx.version_converter)"
        )
    return opset, ms


def _fixed_shape(
    vi: onnx.ValueInfoProto, path: str, warnings: list[str], problems: list[str]
) -> tuple[int, ...]:
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        problems.append(f"input '{vi.name}' has no declared shape")
        return ()
    shape: list[int] = []
    for ax, d in enumerate(tt.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            shape.append(int(d.dim_value))
        elif ax == 0:
            label = d.dim_param or "?"
            warnings.append(f"{path}: input '{vi.name}' has a dynamic batch '{label}'; using 1")
            shape.append(1)
        else:
            label = d.dim_param or "?"
            problems.append(
                f"input '{vi.name}' has the dynamic dimension '{label}' at axis {ax} "
                "(mcuai needs static shapes)"
            )
            shape.append(1)
    if math.prod(shape) > MAX_ELEMENTS:
        raise ModelError(f"{path}: input '{vi.name}' declares an implausible shape {shape}")
    return tuple(shape)


def read_model(data: bytes, path: str) -> OnnxModel:
    """Parse, check and flatten an ONNX model; see the module docstring for the errors."""
    model = parse(data, path)
    refuse_dynamic_quantization(model, path)
    opset, ms = _opsets(model, path)
    g = model.graph
    consts: dict[str, np.ndarray] = {}
    try:
        for t in g.initializer:
            consts[t.name] = numpy_helper.to_array(t)
        for st in g.sparse_initializer:
            consts[st.values.name] = _dense(st)
    except Exception as e:
        raise ModelError(f"{path}: an initializer cannot be decoded ({e})") from None
    warnings: list[str] = []
    problems: list[str] = []
    inputs: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] = {}
    elem_types: dict[str, np.dtype[Any]] = {}
    for vi in [*g.input, *g.value_info, *g.output]:
        dt = _np_type(vi.type.tensor_type.elem_type) if vi.type.HasField("tensor_type") else None
        if dt is not None:
            elem_types.setdefault(vi.name, dt)
    for vi in g.input:
        if vi.name in consts:
            continue  # an initializer listed as input (IR < 4 style): a constant
        if not vi.type.HasField("tensor_type"):
            problems.append(f"input '{vi.name}' is not a tensor")
            continue
        dt = elem_types.get(vi.name)
        if dt is None:
            problems.append(f"input '{vi.name}' has an unsupported element type")
            continue
        inputs[vi.name] = (_fixed_shape(vi, path, warnings, problems), dt)
    if problems:
        raise UnsupportedError(f"{path}: " + "; ".join(problems))
    nodes: list[OnnxNode] = []
    for k, n in enumerate(g.node):
        try:
            attrs = {a.name: _attr_value(a) for a in n.attribute}
        except Exception as e:
            raise ModelError(
                f"{path}: node '{n.name}' has an undecodable attribute ({e})"
            ) from None
        domain = "" if n.domain in ("", "ai.onnx") else n.domain
        nodes.append(
            OnnxNode(
                index=k,
                name=n.name or f"{n.op_type}_{k}",
                op=n.op_type,
                domain=domain,
                inputs=list(n.input),
                outputs=list(n.output),
                attrs=attrs,
                proto=n,
            )
        )
    producer = model.producer_name + (
        f" {model.producer_version}" if model.producer_version else ""
    )
    return OnnxModel(
        path=path,
        opset=opset,
        ms_opset=ms,
        nodes=nodes,
        consts=consts,
        inputs=inputs,
        outputs=[o.name for o in g.output],
        elem_types=elem_types,
        producer=producer.strip(),
        warnings=warnings,
        proto=model,
    )


def _dense(st: onnx.SparseTensorProto) -> np.ndarray:
    """A sparse initializer as a dense array."""
    values = numpy_helper.to_array(st.values).reshape(-1)
    idx = numpy_helper.to_array(st.indices).astype(np.int64)
    dims = tuple(int(d) for d in st.dims)
    out = np.zeros(dims, dtype=values.dtype)
    if idx.ndim == 1:
        out.reshape(-1)[idx] = values
    else:
        out[tuple(idx.T)] = values
    return out
