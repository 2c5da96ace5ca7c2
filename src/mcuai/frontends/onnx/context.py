"""Per-node conversion context: typed access to one ONNX node and the emission of its IR nodes.

A :class:`Plan` (chosen by :mod:`.qdq`) says how the node runs:

* ``qdq`` — a QDQ group: every data input is the dequantization of an integer value and every
  output goes (through an optional Relu/Clip) into one QuantizeLinear. The node becomes one
  integer IR node reading the integer values and writing the QuantizeLinear's output;
* ``through`` — a data-movement op (reshape, slice, max pool...) on dequantized inputs: it runs on
  the integers and its output is their dequantization (exact: moving data commutes with
  dequantization), as ONNX Runtime's QDQ propagation does;
* ``preq`` — a data-movement op on float values whose outputs are all quantized alike: its
  inputs are quantized instead and it moves integers (exact: quantization is element-wise);
* ``float`` — everything else: inputs as the model has them (float values are dequantized by
  real ``dequantize`` nodes where they come from integers; QOperator ops read integers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcuai.frontends.onnx.builder import (
    Builder,
    ConstIn,
    Invalid,
    Target,
    Unsupported,
    Val,
    quant_params,
)
from mcuai.frontends.onnx.layout import Perm, identity, map_quant
from mcuai.frontends.onnx.qparams import QSpec
from mcuai.frontends.onnx.reader import OnnxNode
from mcuai.ir.dtypes import DType
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.ops._common import Activation
from mcuai.ops.relu import ReluAttrs
from mcuai.ops.reshape import ReshapeAttrs

INF = float("inf")
F32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Plan:
    mode: str  # "qdq" | "through" | "preq" | "float"
    targets: list[Target | None]
    act: tuple[float, float] | None = None  # real clamp of a fused Relu/Clip
    act_origin: str = ""
    bn: OnnxNode | None = None  # a BatchNormalization folded into this node's weights
    absorbed: list[OnnxNode] = field(default_factory=list)
    reason: str = ""  # why a node next to quantized values runs in float


def activation_of(lo: float, hi: float) -> Activation | None:
    """The fused activation that is exactly the real clamp [lo, hi], if any."""
    table = {
        (0.0, INF): Activation.RELU,
        (0.0, 6.0): Activation.RELU6,
        (-1.0, 1.0): Activation.RELU_N1_TO_1,
    }
    return table.get((lo, hi))


def quant_equal(a: QuantParams | None, b: QuantParams | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.same_as(b)


class Cx:
    """One ONNX node being converted under a :class:`Plan`."""

    def __init__(self, b: Builder, node: OnnxNode, plan: Plan) -> None:
        self.b = b
        self.n = node
        self.plan = plan
        self._act_done = False

    # ---- attributes ---------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return self.n.name

    @property
    def opset(self) -> int:
        return self.b.model.opset

    @property
    def mode(self) -> str:
        return self.plan.mode

    def i(self, key: str, default: int) -> int:
        v = self.n.attr(key, default)
        if not isinstance(v, int | np.integer):
            raise Invalid(f"attribute '{key}' is not an integer")
        return int(v)

    def f(self, key: str, default: float) -> float:
        v = self.n.attr(key, default)
        if not isinstance(v, float | int | np.floating | np.integer):
            raise Invalid(f"attribute '{key}' is not a number")
        return float(np.float32(v))

    def s(self, key: str, default: str) -> str:
        v = self.n.attr(key, default)
        return str(v)

    def ints(self, key: str, default: list[int] | None = None) -> list[int] | None:
        v = self.n.attr(key, default)
        if v is None:
            return None
        return [int(x) for x in (v if isinstance(v, list | tuple | np.ndarray) else [v])]

    # ---- inputs -------------------------------------------------------------------------
    def has(self, i: int) -> bool:
        return i < len(self.n.inputs) and bool(self.n.inputs[i])

    def val(self, i: int) -> Val:
        if not self.has(i):
            raise Invalid(f"input {i} is missing")
        return self.b.get(self.n.inputs[i])

    def data(self, i: int) -> Val:
        """A data input as this plan reads it (the integer value in a QDQ group)."""
        v = self.val(i)
        if self.mode in ("qdq", "through"):
            src = self.b.qsource(v)
            if src is not None:
                return src
        if self.mode == "preq":
            tg = next(t for t in self.plan.targets if t is not None)
            dt, q = self.target_type(self.plan.targets.index(tg), identity(v.rank))
            assert q is not None
            origin = next((n.name for n in self.plan.absorbed if n.outputs[0] == tg.name), "")
            return self.b.quantized_val(v, dt, q, origin or self.origin)
        return v

    def const(self, i: int) -> np.ndarray:
        """An attribute-like constant input (shape, axes, pads, bounds...)."""
        v = self.val(i)
        if not self.b.const_like(v):
            raise Unsupported(f"input {i} ('{v.name}') must be a constant")
        return self.b.float_data(v)

    def opt_const(self, i: int) -> np.ndarray | None:
        if not self.has(i):
            return None
        c = self.const(i)
        return None if c.size == 0 and c.ndim == 1 else c

    def weight(self, i: int) -> ConstIn:
        """A constant operand: integers with their parameters in integer plans (and for
        QOperator weights), real float32 values otherwise."""
        v = self.val(i)
        src = self.b.qsource(v)
        if src is not None and src.const is not None:
            if self.mode == "qdq":
                return ConstIn(src.name, src.const, src.quant)
            return ConstIn(v.name, self.b.float_data(v), None)
        if v.const is None:
            raise Unsupported(f"input {i} ('{v.name}') must be a constant")
        if v.dtype.is_float:
            return ConstIn(v.name, v.const.astype(np.float32), None)
        return ConstIn(v.name, v.const, v.quant)

    def tensor(self, v: Val, perm: Perm) -> Tensor:
        return self.b.tensor(v, perm)

    def pref(self, v: Val) -> Perm:
        p = self.b.pref(v)
        return p if p is not None else identity(v.rank)

    def common_perm(self, vals: list[Val], rank: int) -> Perm:
        """The layout of the first non-constant operand of full rank (else the identity)."""
        for v in vals:
            if v.const is None and v.rank == rank:
                p = self.b.pref(v)
                if p is not None:
                    return p
        return identity(rank)

    def bcast(self, v: Val, rank: int, perm: Perm) -> Tensor:
        """``v`` broadcast (numpy rules) to ``rank`` dims and held in layout ``perm``."""
        if v.rank == rank:
            return self.tensor(v, perm)
        if v.rank > rank:
            raise Invalid(f"'{v.name}' has rank {v.rank} > {rank}")
        extra = rank - v.rank
        shape = (1,) * extra + v.shape
        q = v.quant
        if q is not None and q.per_axis and q.axis is not None:
            q = QuantParams(q.scale, q.zero_point, q.axis + extra)
        if v.const is not None:
            w = Val(v.name, shape, v.dtype, q, const=v.const.reshape(shape))
            return self.tensor(w, perm)
        if self.b.const_like(v):
            data = self.b.float_data(v).reshape(shape)
            return self.tensor(Val(v.name, shape, DType.FLOAT32, const=data), perm)
        t = self.tensor(v, identity(v.rank))
        name = self.b.unique(v.name, f"rank{rank}")
        r = self.b.add_node(
            "reshape",
            [t],
            ReshapeAttrs(shape, "expand_dims"),
            [(name, t.dtype, t.quant)],
            self.origin,
        )[0]
        w = Val(v.name, shape, v.dtype, q, holds="")
        self.b.bind(w, identity(rank), r)
        return self.tensor(w, perm)

    def const_tensor(self, c: ConstIn, perm: Perm | None = None) -> Tensor:
        """IR constant of ``c`` transposed by ``perm`` (a per-axis axis moves with it)."""
        data = c.data
        q = c.quant
        if perm is not None:
            data = np.asarray(np.transpose(data, perm), order="C")
            q = map_quant(q, perm)
        is_float = q is None and data.dtype.kind == "f"
        dt = DType.FLOAT32 if is_float else DType.from_numpy(data.dtype)
        return self.b.const_tensor(c.name, data, dt, q)

    # ---- outputs ------------------------------------------------------------------------
    def take_act(self) -> Activation:
        """The fused Relu/Clip as the op's ``act`` (when it is one of the fused activations)."""
        if self.plan.act is None or self._act_done:
            return Activation.NONE
        a = activation_of(*self.plan.act)
        if a is None:
            return Activation.NONE
        self._act_done = True
        return a

    def target_type(self, j: int, perm: Perm) -> tuple[DType, QuantParams | None]:
        tg = self.plan.targets[j] if j < len(self.plan.targets) else None
        if tg is None:
            return DType.FLOAT32, None
        q = tg.quant
        if isinstance(q, QSpec):
            q = quant_params(q, len(perm))
        return tg.dtype, map_quant(q, perm)

    def node(
        self,
        op: str,
        inputs: list[Tensor | None],
        attrs: Any,
        perm: Perm,
        like: Tensor | None = None,
    ) -> Tensor:
        """An intermediate node (typed like ``like``, else like the first output)."""
        if like is not None:
            dt, q = like.dtype, like.quant
        else:
            dt, q = self.target_type(0, perm)
        tg = self.plan.targets[0] if self.plan.targets else None
        name = self.b.unique(tg.name if tg is not None else self.origin, op, force=True)
        return self.b.add_node(op, inputs, attrs, [(name, dt, q)], self.origin)[0]

    def emit(
        self,
        op: str,
        inputs: list[Tensor | None],
        attrs: Any,
        perm: Perm | list[Perm],
        like: Tensor | None = None,
        n_out: int = 1,
    ) -> list[Tensor]:
        """The node computing the ONNX node's outputs; binds them to the plan's targets.

        ``like``: a data-movement op whose outputs keep that tensor's type and parameters (a
        QDQ group whose QuantizeLinear has other parameters gets a requantization after it).
        A fused Relu/Clip the op could not take as ``act`` becomes a ``relu`` node after it.
        """
        targets = self.plan.targets
        if any(t is not None for t in targets[n_out:]):
            raise Unsupported(f"output {n_out} of {self.n.op} is used")
        perms = perm if isinstance(perm, list) else [perm] * n_out
        pending_act = self.plan.act is not None and not self._act_done
        specs: list[tuple[str, DType, QuantParams | None]] = []
        posts: list[bool] = []
        for j in range(n_out):
            tg = targets[j] if j < len(targets) else None
            tdt, tq = self.target_type(j, perms[j])
            if like is not None:
                dt, q = like.dtype, like.quant
                if q is not None and q.per_axis:
                    raise Unsupported("per-axis quantized activations through a data-movement op")
            else:
                dt, q = tdt, tq
            requant = tg is not None and like is not None and (dt != tdt or not quant_equal(q, tq))
            post = requant or (j == 0 and pending_act)
            base = tg.name if tg is not None else f"{self.origin}:{j}"
            specs.append((self.b.unique(base, op, force=post), dt, q))
            posts.append(requant)
        outs = self.b.add_node(op, inputs, attrs, specs, self.origin)
        results: list[Tensor] = []
        for j, t in enumerate(outs):
            tg = targets[j] if j < len(targets) else None
            final = t
            if j == 0 and pending_act:
                assert self.plan.act is not None
                lo, hi = self.plan.act
                kind = {(0.0, INF): "relu", (0.0, 6.0): "relu6"}.get((lo, hi), "clip")
                name = self.b.unique(tg.name if tg else self.origin, "relu", force=posts[j])
                final = self.b.add_node(
                    "relu",
                    [final],
                    ReluAttrs(lo, hi, kind),
                    [(name, final.dtype, final.quant)],
                    self.plan.act_origin or self.origin,
                )[0]
                self._act_done = True
            if tg is not None and posts[j]:
                tdt, tq = self.target_type(j, perms[j])
                final = self.b.add_node(
                    "quantize", [final], None, [(self.b.unique(tg.name), tdt, tq)], self.origin
                )[0]
            if tg is not None:
                self.b.produce(tg.name, perms[j], final, tg.through, self.origin)
            results.append(final)
        return results


def clip_bounds(b: Builder, n: OnnxNode) -> tuple[float, float] | None:
    """Real bounds of a Relu/Clip node (constant bounds only)."""
    if n.op == "Relu":
        return (0.0, INF)
    if n.op != "Clip":
        return None
    if b.model.opset < 11:
        lo = float(n.attr("min", -F32_MAX))
        hi = float(n.attr("max", F32_MAX))
    else:
        vals: list[float] = []
        for i, default in ((1, -INF), (2, INF)):
            if i < len(n.inputs) and n.inputs[i]:
                v = b.vals.get(n.inputs[i])
                if v is None or not b.const_like(v):
                    return None
                data = b.float_data(v).reshape(-1)
                if data.size != 1:
                    return None
                vals.append(float(np.float32(data[0])))
            else:
                vals.append(default)
        lo, hi = vals
    lo = -INF if lo <= -F32_MAX else float(np.float32(lo))
    hi = INF if hi >= F32_MAX else float(np.float32(hi))
    if math.isnan(lo) or math.isnan(hi):
        return None
    return (lo, hi)
