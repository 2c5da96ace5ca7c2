"""An ``onnx.backend`` adapter over mcuai: run ONNX models through the generated C code.

>>> from mcuai.onnx_backend import McuaiBackend                     # doctest: +SKIP
>>> rep = McuaiBackend.prepare(onnx.load("model.onnx"))            # doctest: +SKIP
>>> (y,) = rep.run([x, w, x_scale, ...])                           # doctest: +SKIP

``rep.run(inputs)`` generates C for the model (:func:`mcuai.api.load_model`,
:func:`mcuai.api.optimize`, :func:`mcuai.codegen.generate.generate_code`), compiles it for the
host (:func:`mcuai.targets.host.build`, cached by the hash of the sources) and runs it in this
process (:class:`mcuai.targets.host.HostModel`), then returns the outputs in the model's own
layout and declared element types (``McuaiBackend.run_node(node, inputs)`` does the same for
one node, as a one-node model). It exists to run ONNX's backend conformance tests (see
``tests/test_onnx_backend.py`` and ``docs/onnx.md``) against the code mcuai deploys.

**Static weights.** mcuai deploys models whose weights, scales and zero points are constants
(they become ``const`` arrays in flash and fold into the kernels' multipliers). ONNX's node tests
instead pass *everything* as graph inputs, and ``prepare`` does not see the data. The adapter
therefore splits the graph inputs into

* *activations*: inputs that some node reads as its first input (the data input of every
  operator in scope: ``X`` of Conv/QLinearConv/ConvInteger/QuantizeLinear/DequantizeLinear,
  ``A`` of MatMul/QLinearMatMul/MatMulInteger, ...), or named by ``activations=`` of
  ``prepare``; they stay graph inputs of the generated code;
* *parameters*: every other input (weights, scales, zero points, biases). ``run`` binds them to
  the values it is given, as initializers, and generates code for that bound model.

Binding an input to the value it has in this very call cannot change the result of the call,
so the outputs are exactly those of the original model on these inputs; what binding changes is
only what the generated code is specialised for. The bound model is identified by the SHA-256 of
its serialized bytes: calls that bind the same parameter values reuse the generated and compiled
code (an in-process cache of loaded libraries, on top of the build cache of ``targets.host``).

**Opsets.** The ONNX frontend reads opsets 10 to 21; a newer model is first converted to opset
21 with ONNX's own ``onnx.version_converter`` (what the frontend's error message recommends),
e.g. the opset-28 QuantizeLinear/DequantizeLinear test models. A model the converter cannot
convert is passed on unchanged and refused by the frontend with its usual message.

**Outputs.** The generated code computes in its internal types; each output is converted back to
the type the model declares where the two hold the same values: uint8 data kept as int8 with the
zero point moved by 128 (``u = s + 128``), and the exact integer results of ConvInteger and
MatMulInteger, which the frontend carries as float32 (converted to int32 only when every value
is an integer that float32 represents exactly, ``|v| <= 2**24``). Any other mismatch is an
error, never a silent cast.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.backend.base import Backend, BackendRep

from mcuai.codegen.cnames import c_identifier
from mcuai.codegen.emit import GeneratedCode
from mcuai.errors import McuaiError, UsageError
from mcuai.frontends.onnx.reader import MAX_OPSET
from mcuai.ir.graph import Graph
from mcuai.ir.tensor import Tensor
from mcuai.targets.host import HostModel

__all__ = ["McuaiBackend", "McuaiBackendRep", "activation_inputs"]

#: Newest default-domain opset the ONNX frontend reads (models above are converted down to it).
FRONTEND_MAX_OPSET = MAX_OPSET
#: How many compiled bound models stay loaded in this process.
_CACHE_SIZE = 64
#: float32 represents every integer up to this magnitude exactly.
_F32_EXACT = 2**24


@dataclass
class _Compiled:
    graph: Graph
    code: GeneratedCode
    host: HostModel
    layouts: dict[str, tuple[str, tuple[int, ...]]]  # IR tensor name -> (ONNX name, perm)


_COMPILED: OrderedDict[str, _Compiled] = OrderedDict()


def _graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The graph inputs that are not initializers, in order (the inputs ``run`` takes)."""
    inits = {t.name for t in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in inits]


def activation_inputs(model: onnx.ModelProto) -> set[str]:
    """Names of the graph inputs some node reads as its first (data) input."""
    names = {vi.name for vi in _graph_inputs(model)}
    return {n.input[0] for n in model.graph.node if n.input and n.input[0] in names}


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def _elem_np(vi: onnx.ValueInfoProto) -> np.dtype[Any] | None:
    et = vi.type.tensor_type.elem_type
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(et))
    except (KeyError, TypeError, ValueError):
        return None


def _downgrade(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` converted to opset :data:`FRONTEND_MAX_OPSET` when it is newer (and the
    converter can), else unchanged."""
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None or opset <= FRONTEND_MAX_OPSET:
        return model
    from onnx import version_converter

    try:
        return version_converter.convert_version(model, FRONTEND_MAX_OPSET)
    except Exception:  # the converter has no adapter: let the frontend report the opset
        return model


def _bind(
    model: onnx.ModelProto, params: Mapping[str, np.ndarray], activations: list[str]
) -> onnx.ModelProto:
    """A copy of ``model`` whose ``params`` are initializers and whose graph inputs are
    ``activations`` only."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [vi for vi in m.graph.input if vi.name in activations]
    for name, value in params.items():
        m.graph.initializer.append(numpy_helper.from_array(value, name))
    del m.graph.input[:]
    m.graph.input.extend(keep)
    return _downgrade(m)


def _layouts(graph: Graph) -> dict[str, tuple[str, tuple[int, ...]]]:
    raw = graph.metadata.get("onnx_layouts")
    table: dict[str, Any] = json.loads(raw) if raw else {}
    return {k: (str(v["onnx"]), tuple(int(p) for p in v["perm"])) for k, v in table.items()}


def _compile(model: onnx.ModelProto) -> _Compiled:
    """Generate, build and load the code of ``model`` (cached by the model's bytes)."""
    data = model.SerializeToString(deterministic=True)
    key = hashlib.sha256(data).hexdigest()
    hit = _COMPILED.get(key)
    if hit is not None:
        _COMPILED.move_to_end(key)
        return hit
    from mcuai.api import load_model, optimize
    from mcuai.codegen.generate import generate_code
    from mcuai.targets.host import build

    with tempfile.TemporaryDirectory(prefix="mcuai-onnx-backend-") as d:
        path = Path(d) / f"{c_identifier(model.graph.name or 'model')}.onnx"
        path.write_bytes(data)
        graph = optimize(load_model(path))
    code = generate_code(graph, "model", "model.onnx")
    compiled = _Compiled(graph, code, HostModel(code, build(code)), _layouts(graph))
    _COMPILED[key] = compiled
    while len(_COMPILED) > _CACHE_SIZE:
        _COMPILED.popitem(last=False)
    return compiled


def _to_ir(value: np.ndarray, t: Tensor, perm: tuple[int, ...] | None) -> np.ndarray:
    """An input value (ONNX layout and type) as data of the IR input tensor ``t``."""
    a = np.asarray(value)
    if perm is not None and len(perm) == a.ndim and perm != tuple(range(a.ndim)):
        a = np.transpose(a, perm)
    want = t.dtype.np
    if a.dtype == want:
        return np.ascontiguousarray(a)
    if a.dtype == np.uint8 and want == np.int8:
        return (a.astype(np.int16) - 128).astype(np.int8)
    if a.dtype == np.int8 and want == np.uint8:
        return (a.astype(np.int16) + 128).astype(np.uint8)
    raise McuaiError(f"input '{t.name}': {a.dtype} data for a {t.dtype.value} input of the code")


def _to_onnx(
    value: np.ndarray, t: Tensor, perm: tuple[int, ...] | None, want: np.dtype[Any] | None
) -> np.ndarray:
    """An output of the code (IR layout and type) in the model's layout and declared type."""
    a = np.asarray(value)
    if perm is not None and len(perm) == a.ndim and perm != tuple(range(a.ndim)):
        inv = [0] * len(perm)
        for j, p in enumerate(perm):
            inv[p] = j
        a = np.transpose(a, inv)
    if want is None or a.dtype == want:
        return np.ascontiguousarray(a)
    if a.dtype == np.int8 and want == np.uint8:
        return (a.astype(np.int16) + 128).astype(np.uint8)
    if a.dtype == np.uint8 and want == np.int8:
        return (a.astype(np.int16) - 128).astype(np.int8)
    if a.dtype.kind == "f" and want.kind in "iu":
        info = np.iinfo(want)
        ok = bool(np.all(np.isfinite(a))) and bool(np.all(a == np.rint(a)))
        ok = ok and bool(np.all(np.abs(a) <= min(_F32_EXACT, info.max)))
        ok = ok and bool(np.all(a >= info.min))
        if ok:
            return a.astype(want)
        raise McuaiError(
            f"output '{t.name}': the code's float values are not exact {want} integers"
        )
    raise McuaiError(f"output '{t.name}': code type {a.dtype} cannot be returned as {want}")


class McuaiBackendRep(BackendRep):
    """A prepared model: ``run`` binds the parameters, generates, compiles and runs the C."""

    def __init__(self, model: onnx.ModelProto, activations: Sequence[str] | None = None) -> None:
        self.model = model
        inputs = [vi.name for vi in _graph_inputs(model)]
        chosen = activation_inputs(model) if activations is None else set(activations)
        unknown = chosen - set(inputs)
        if unknown:
            raise UsageError(f"activations {sorted(unknown)} are not graph inputs of the model")
        self.input_names = inputs
        self.activations = [n for n in inputs if n in chosen]
        self.outputs = list(model.graph.output)
        self.last: _Compiled | None = None

    def _named(self, inputs: Any) -> dict[str, np.ndarray]:
        if isinstance(inputs, Mapping):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise UsageError(f"missing inputs {missing}")
            return {n: _as_array(inputs[n]) for n in self.input_names}
        values = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if len(values) != len(self.input_names):
            raise UsageError(
                f"the model takes {len(self.input_names)} inputs {self.input_names}, "
                f"got {len(values)}"
            )
        return {n: _as_array(v) for n, v in zip(self.input_names, values, strict=True)}

    def run(self, inputs: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Run the model on ``inputs`` (a list in graph-input order, or a name -> array map);
        returns the outputs in graph-output order, in the model's layout and types."""
        named = self._named(inputs)
        params = {n: v for n, v in named.items() if n not in self.activations}
        c = _compile(_bind(self.model, params, self.activations))
        self.last = c
        feed = []
        for io in c.code.inputs:
            t = io.tensor
            onnx_name, perm = c.layouts.get(t.name, (t.name, None))
            if onnx_name not in named:
                raise McuaiError(f"the generated code's input '{t.name}' is not a model input")
            feed.append(_to_ir(named[onnx_name], t, perm))
        results, _ = c.host.run(feed)
        out_types = {vi.name: _elem_np(vi) for vi in self.outputs}
        produced: dict[str, np.ndarray] = {}
        for io, value in zip(c.code.outputs, results, strict=True):
            t = io.tensor
            onnx_name, perm = c.layouts.get(t.name, (t.name, None))
            if t.name in out_types:  # graph outputs carry the model's output names
                onnx_name = t.name
            produced[onnx_name] = _to_onnx(value, t, perm, out_types.get(onnx_name))
        missing = [vi.name for vi in self.outputs if vi.name not in produced]
        if missing:
            raise McuaiError(f"the generated code does not produce the outputs {missing}")
        return tuple(produced[vi.name] for vi in self.outputs)


class McuaiBackend(Backend):
    """``onnx.backend`` entry point: CPU (the host C compiler) only."""

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> McuaiBackendRep:
        """Check the model and return its :class:`McuaiBackendRep`. ``activations=[names]``
        chooses the graph inputs that stay inputs of the generated code (default: those read
        as a node's first input); all others are bound to their values at each ``run``."""
        if not cls.supports_device(device):
            raise UsageError(f"device {device!r}: the mcuai backend runs on the host CPU only")
        onnx.checker.check_model(model)
        activations = kwargs.get("activations")
        return McuaiBackendRep(model, activations)

    @classmethod
    def run_node(
        cls,
        node: onnx.NodeProto,
        inputs: Any,
        device: str = "CPU",
        outputs_info: Sequence[tuple[np.dtype[Any], tuple[int, ...]]] | None = None,
        **kwargs: Any,
    ) -> tuple[Any, ...]:
        """Run one node: it becomes a one-node model (default-domain opset ``opset_version``,
        else the newest the frontend reads) whose inputs are typed by the given arrays and whose
        outputs by ``outputs_info`` or ONNX's shape inference; then ``prepare(...).run``."""
        super().run_node(node, inputs, device=device, outputs_info=outputs_info, **kwargs)
        names = [n for n in node.input if n]
        if isinstance(inputs, Mapping):
            values = [_as_array(inputs[n]) for n in names]
        else:
            values = [_as_array(v) for v in inputs]
        if len(values) != len(names):
            raise UsageError(f"node '{node.name}' has {len(names)} inputs, got {len(values)}")
        ins = [
            helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
            for n, v in zip(names, values, strict=True)
        ]
        outs_names = [n for n in node.output if n]
        if outputs_info is not None:
            outs = [
                helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(dt), shape)
                for n, (dt, shape) in zip(outs_names, outputs_info, strict=True)
            ]
        else:
            outs = [helper.make_empty_tensor_value_info(n) for n in outs_names]
        opsets = [helper.make_opsetid("", int(kwargs.get("opset_version", FRONTEND_MAX_OPSET)))]
        if node.domain not in ("", "ai.onnx"):
            opsets.append(helper.make_opsetid(node.domain, 1))
        graph = helper.make_graph([node], node.name or node.op_type, ins, outs)
        model = helper.make_model(graph, opset_imports=opsets)
        if outputs_info is None:
            model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        return cls.prepare(model, device).run(values)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device.upper() == "CPU"
