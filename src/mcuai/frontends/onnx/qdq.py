"""QDQ grouping: how each ONNX node runs (see :class:`~.context.Plan`).

The rules follow ONNX Runtime's QDQ selectors (``qdq_selectors.cc``), which decide which
``DQ -> op -> Q`` groups its graph transformer fuses into integer kernels:

* every data input of the op is the output of a DequantizeLinear (weights: a DequantizeLinear
  of a constant; a bias may also be a float constant, quantized here with ``s_x * s_w``);
* every output goes to exactly one QuantizeLinear and is not a graph output;
* a Relu/Clip between the op and its QuantizeLinear is fused (ORT drops it when the
  QuantizeLinear's range makes it redundant; mcuai keeps it as the op's integer clamp, which is
  the same thing when it is redundant and exact when it is not).

Data-movement ops whose inputs are dequantized run on the integers ("through"), like ORT's QDQ
propagation moves DequantizeLinear past Reshape/Transpose/... Everything else runs as the model
states it ("float"); in a float model a Relu/Clip after a conv/FC/elementwise op becomes its
fused activation and a BatchNormalization after a conv/Gemm is folded into its weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mcuai.frontends.onnx.builder import Builder, Target, Val
from mcuai.frontends.onnx.context import Cx, Plan, clip_bounds
from mcuai.frontends.onnx.qparams import QSpec
from mcuai.frontends.onnx.reader import OnnxNode
from mcuai.ir.dtypes import DType

Converter = Callable[[Cx], None]

#: ``Rule.qdq`` value meaning "every present input" (Concat, Max, Min...).
ALL_INPUTS: tuple[int, ...] = ()
_QTYPES = (DType.INT8, DType.UINT8, DType.INT16)


@dataclass(frozen=True)
class Rule:
    """How an ONNX op converts and which plans it admits."""

    convert: Converter
    qdq: tuple[int, ...] | None = None  # data inputs that must be dequantized for a QDQ group
    through: bool = False  # moves data only: may run on the integers of dequantized inputs
    act: bool = False  # the IR op has a fused activation (float models fuse Relu/Clip)
    bn: bool = False  # a following BatchNormalization folds into its constant weights
    check: Callable[[Builder, OnnxNode], bool] | None = None  # extra QDQ-group condition
    through_check: Callable[[Builder, OnnxNode], bool] | None = None  # extra "through" condition


def _data_inputs(node: OnnxNode, rule: Rule) -> list[int]:
    assert rule.qdq is not None
    if rule.qdq == ALL_INPUTS:
        return [i for i, x in enumerate(node.inputs) if x]
    return [i for i in rule.qdq if i < len(node.inputs) and node.inputs[i]]


def _used(b: Builder, name: str) -> bool:
    return bool(name) and (bool(b.consumers.get(name)) or name in b.graph_outputs)


def q_target(b: Builder, q: OnnxNode) -> Target | None:
    name = q.outputs[0]
    dt = b.ir_dtype(name)
    spec = b.spec(name)
    if dt not in _QTYPES or spec is None:
        return None
    return Target(name, dt, spec)


def _act_after(b: Builder, name: str) -> tuple[OnnxNode, tuple[float, float]] | None:
    """The Relu/Clip (constant bounds) that is the only reader of ``name``."""
    cons = b.consumers.get(name, [])
    if name in b.graph_outputs or len(cons) != 1 or cons[0].inputs[0] != name:
        return None
    r = cons[0]
    if r.domain or r.op not in ("Relu", "Clip"):
        return None
    bounds = clip_bounds(b, r)
    return None if bounds is None else (r, bounds)


def _qdq_plan(b: Builder, node: OnnxNode) -> Plan | None:
    targets: list[Target | None] = []
    absorbed: list[OnnxNode] = []
    act: tuple[float, float] | None = None
    act_origin = ""
    for j, o in enumerate(node.outputs):
        if not _used(b, o):
            targets.append(None)
            continue
        if o in b.graph_outputs:
            return None
        cons = b.consumers[o]
        if len(cons) != 1:
            return None
        c = cons[0]
        if j == 0 and c.op in ("Relu", "Clip") and not c.domain:
            found = _act_after(b, o)
            if found is None:
                return None
            r, act = found
            ro = r.outputs[0]
            rc = b.consumers.get(ro, [])
            if ro in b.graph_outputs or len(rc) != 1 or rc[0].op != "QuantizeLinear":
                return None
            c = rc[0]
            if c.inputs[0] != ro:
                return None
            absorbed.append(r)
            act_origin = r.name
        elif c.op != "QuantizeLinear" or c.inputs[0] != o:
            return None
        tg = q_target(b, c)
        if tg is None:
            return None
        absorbed.append(c)
        targets.append(tg)
    return Plan("qdq", targets, act, act_origin, absorbed=absorbed)


def _through_plan(b: Builder, node: OnnxNode, srcs: list[Val]) -> Plan | None:
    first = srcs[0]
    if any(s.const is not None for s in srcs) or first.quant is None:
        return None
    if first.quant.per_axis:
        return None
    for s in srcs[1:]:
        if s.dtype is not first.dtype or not first.quant.same_as(s.quant):
            return None
    targets: list[Target | None] = []
    for o in node.outputs:
        targets.append(Target(o, first.dtype, first.quant, through=True) if _used(b, o) else None)
    return Plan("through", targets)


def _preq_plan(b: Builder, node: OnnxNode, rule: Rule) -> Plan | None:
    """A data-movement op on float values whose outputs are all quantized with the same
    parameters: quantize the inputs instead and move integers (exact, and smaller)."""
    for i in _data_inputs(node, rule):
        v = b.vals.get(node.inputs[i])
        if v is None or not v.dtype.is_float or b.const_like(v):
            return None
    plan = _qdq_plan(b, node)
    if plan is None or plan.act is not None:
        return None
    tgs = [t for t in plan.targets if t is not None]
    specs: list[QSpec] = []
    for t in tgs:
        if not isinstance(t.quant, QSpec) or t.quant.scale.ndim:
            return None  # per-tensor parameters only
        specs.append(t.quant)
    if not tgs or any(
        t.dtype is not tgs[0].dtype or not specs[0].same(q) for t, q in zip(tgs, specs, strict=True)
    ):
        return None
    plan.mode = "preq"
    return plan


def select(b: Builder, node: OnnxNode, rule: Rule) -> Plan:
    """The plan for ``node`` (see the module docstring)."""
    srcs: list[Val | None] = []
    if rule.qdq is not None:
        for i in _data_inputs(node, rule):
            v = b.vals.get(node.inputs[i])
            srcs.append(None if v is None else b.qsource(v))
        all_dq = bool(srcs) and all(s is not None for s in srcs)
        ok = rule.check is None or rule.check(b, node)
        if all_dq and ok:
            plan = _qdq_plan(b, node)
            if plan is not None:
                return plan
            if rule.through and (rule.through_check is None or rule.through_check(b, node)):
                plan = _through_plan(b, node, [s for s in srcs if s is not None])
                if plan is not None:
                    return plan
    preq = rule.through and rule.qdq is not None and bool(srcs) and not any(srcs)
    if preq and (rule.through_check is None or rule.through_check(b, node)):
        plan = _preq_plan(b, node, rule)
        if plan is not None:
            return plan
    plan = Plan("float", [])
    for o in node.outputs:
        plan.targets.append(Target(o, b.ir_dtype(o), b.spec(o)) if _used(b, o) else None)
    if any(s is not None for s in srcs):
        plan.reason = _float_reason(b, node, rule, srcs)
    elif rule.qdq is None:
        fed = any(
            (v := b.vals.get(x)) is not None and b.qsource(v) is not None for x in node.inputs if x
        )
        quantized = any(
            c.op == "QuantizeLinear" for o in node.outputs if o for c in b.consumers.get(o, [])
        )
        if fed or quantized:
            plan.reason = "no integer kernel pattern for this op in ONNX Runtime"
    out = node.outputs[0] if node.outputs else ""
    if rule.bn and out:
        bn = _bn_after(b, out)
        if bn is not None:
            plan.bn = bn
            plan.absorbed.append(bn)
            out = bn.outputs[0]
            plan.targets[0] = Target(out, DType.FLOAT32, None)
    if rule.act and out and plan.targets and plan.targets[0] is not None:
        found = _act_after(b, out)
        if found is not None:
            r, bounds = found
            plan.act, plan.act_origin = bounds, r.name
            plan.absorbed.append(r)
            plan.targets[0] = Target(r.outputs[0], DType.FLOAT32, None)
    return plan


def _float_reason(b: Builder, node: OnnxNode, rule: Rule, srcs: list[Val | None]) -> str:
    """Why a node fed by dequantized values is not an integer group (for the report)."""
    assert rule.qdq is not None
    idx = _data_inputs(node, rule)
    missing = [node.inputs[i] for i, s in zip(idx, srcs, strict=True) if s is None]
    if missing:
        return f"its input '{missing[0]}' is not quantized"
    if rule.check is not None and not rule.check(b, node):
        return "its attributes have no integer pattern"
    outs = [o for o in node.outputs if o]
    if any(o in b.graph_outputs for o in outs):
        return "its output is a float model output (no QuantizeLinear after it)"
    return "its output is not quantized (a float op reads it)"


def _bn_after(b: Builder, name: str) -> OnnxNode | None:
    cons = b.consumers.get(name, [])
    if name in b.graph_outputs or len(cons) != 1:
        return None
    bn = cons[0]
    if bn.op != "BatchNormalization" or bn.domain or bn.inputs[0] != name:
        return None
    if int(bn.attr("training_mode", 0)) or any(_used(b, o) for o in bn.outputs[1:]):
        return None
    for x in bn.inputs[1:5]:
        v = b.vals.get(x)
        if v is None or not b.const_like(v):
            return None
    return bn
