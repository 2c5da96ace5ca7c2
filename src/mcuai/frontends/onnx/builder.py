"""ONNX values and their IR tensors, materialized on demand.

Every ONNX tensor name is a :class:`Val`. Some are computed by an IR node the converters emit;
others are *recipes* that cost nothing until a consumer needs them:

* :class:`Dequant` — the output of a DequantizeLinear: the float view of an integer value. A
  QDQ group reads the integer value directly (no node); a float op materializes a real
  ``dequantize`` node (a constant becomes float data);
* :class:`Quant` — the output of a QuantizeLinear: a ``quantize`` node when materialized, or
  nothing at all when it re-quantizes a dequantized value with the same parameters (the Q/DQ
  pair cancels), or an integer requantization when the parameters differ;
* :class:`View` — ONNX Transpose/Identity: a relabelling of another value's axes;
* :class:`FromInput` — a graph input.

A value can live in several layouts (see :mod:`.layout`); :meth:`Builder.tensor` returns the IR
tensor holding it in the requested one, converting from the first ("home") layout with a
transpose node, or a zero-copy reshape when only unit axes move. Nodes are appended as they are
created, so the schedule stays a topological order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcuai.frontends.onnx.layout import (
    NHWC,
    Perm,
    apply,
    compose,
    identity,
    inverse,
    is_memory_trivial,
    map_quant,
    tag,
    transpose_between,
    transpose_data,
    unapply,
)
from mcuai.frontends.onnx.qparams import QSpec, QuantTable
from mcuai.frontends.onnx.reader import OnnxModel, OnnxNode
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.ops import get_op
from mcuai.ops.reshape import ReshapeAttrs
from mcuai.ops.transpose import TransposeAttrs

NUMERICS = "onnxruntime"


class Unsupported(Exception):
    """A valid construct mcuai cannot deploy (collected and reported all at once)."""


class Invalid(Exception):
    """The model contradicts itself (shapes, attributes); collected, reported as ModelError."""


class Skip(Exception):
    """An input is missing because its producer could not be converted (already reported)."""


@dataclass(frozen=True)
class FromInput:
    pass


@dataclass(eq=False)
class Dequant:
    src: Val
    origin: str


@dataclass(eq=False)
class Quant:
    src: Val
    origin: str


@dataclass(eq=False)
class View:
    """``value[i] = src[perm[i]]`` (ONNX axes)."""

    src: Val
    perm: Perm
    origin: str


Recipe = FromInput | Dequant | Quant | View


@dataclass(eq=False)
class Val:
    """One ONNX value (tensor name)."""

    name: str
    shape: tuple[int, ...]  # ONNX layout
    dtype: DType
    quant: QuantParams | None = None  # integer values; per-axis ``axis`` in ONNX axes
    const: np.ndarray | None = None
    recipe: Recipe | None = None
    tensors: dict[Perm, Tensor] = field(default_factory=dict)
    home: Perm | None = None
    #: What its tensors hold for per-layer comparisons: "onnx" (the ONNX value ``name``),
    #: "quantized" (that float value quantized with ``quant``) or "" (an internal value).
    holds: str = "onnx"

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass
class ConstIn:
    """A constant operand (weights, bias, slope...) in ONNX layout."""

    name: str
    data: np.ndarray
    quant: QuantParams | None  # ONNX axes; None for float data


def dtype_of(dt: np.dtype[Any]) -> DType | None:
    if dt in (np.dtype(np.float16), np.dtype(np.float64)):
        return DType.FLOAT32
    try:
        return DType.from_numpy(dt)
    except KeyError:
        return None


def quant_params(spec: QSpec | None, rank: int) -> QuantParams | None:
    """IR parameters (ONNX axes) of a spec for a value of ``rank``."""
    if spec is None:
        return None
    if spec.scale.ndim == 0:
        return QuantParams(spec.scale, spec.zero_point)
    axis = spec.axis if spec.axis is not None else 1
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < max(rank, 1):
        raise Invalid(f"quantization axis {spec.axis} out of range for rank {rank}")
    return QuantParams(spec.scale, spec.zero_point, axis)


def _axis_shape(q: QuantParams, rank: int) -> list[int]:
    shape = [1] * rank
    if q.per_axis and q.axis is not None:
        shape[q.axis] = q.channels
    return shape


def dequantize_array(data: np.ndarray, q: QuantParams) -> np.ndarray:
    """ONNX/ORT DequantizeLinear in float32: ``(q - zp) * scale``."""
    shape = _axis_shape(q, data.ndim)
    zp = q.zero_point.reshape(shape if q.per_axis else ())
    scale = q.scale.reshape(shape if q.per_axis else ())
    out = (data.astype(np.int64) - zp).astype(np.float32) * scale
    return np.asarray(out, np.float32)


def quantize_array(data: np.ndarray, q: QuantParams, dtype: DType) -> np.ndarray:
    """ONNX QuantizeLinear: ``saturate(round_half_even(x / scale) + zp)``."""
    shape = _axis_shape(q, data.ndim)
    zp = q.zero_point.reshape(shape if q.per_axis else ())
    scale = q.scale.reshape(shape if q.per_axis else ())
    x = np.rint(data.astype(np.float32) / scale).astype(np.float64) + zp
    out: np.ndarray = np.clip(x, dtype.qmin, dtype.qmax).astype(dtype.np)
    return out


#: Ops that read their data input channel-first (axis 1): a graph input that reaches one of
#: them through element-wise ops only is NCHW/NCL data (``io_layout="nhwc"`` transposes it).
_SPATIAL = {
    "Conv",
    "ConvTranspose",
    "ConvInteger",
    "QLinearConv",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "QLinearAveragePool",
    "QLinearGlobalAveragePool",
    "BatchNormalization",
    "Resize",
    "Upsample",
}
_ELEMENTWISE = {
    "QuantizeLinear",
    "DequantizeLinear",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Relu",
    "Clip",
    "LeakyRelu",
    "PRelu",
    "Sigmoid",
    "Tanh",
    "HardSwish",
    "HardSigmoid",
    "Identity",
    "Cast",
}


def channel_first_inputs(model: OnnxModel) -> set[str]:
    """Graph inputs that reach a channel-first op through element-wise ops only."""
    consumers: dict[str, list[OnnxNode]] = {}
    for n in model.nodes:
        for x in n.inputs:
            if x:
                consumers.setdefault(x, []).append(n)
    found: set[str] = set()
    for name in model.inputs:
        todo, seen = [name], {name}
        while todo and name not in found:
            cur = todo.pop()
            for n in consumers.get(cur, []):
                if n.op in _SPATIAL and n.inputs[0] == cur:
                    found.add(name)
                    break
                if n.op in _ELEMENTWISE:
                    for o in n.outputs:
                        if o and o not in seen:
                            seen.add(o)
                            todo.append(o)
    return found


@dataclass
class Target:
    """Where a converter's output goes: the ONNX value to bind and its IR type."""

    name: str
    dtype: DType
    quant: QuantParams | QSpec | None
    through: bool = False  # an integer value whose dequantization is the ONNX value ``name``


class Builder:
    """Values, materialization and node emission for one model."""

    def __init__(self, model: OnnxModel, table: QuantTable, io_layout: str) -> None:
        self.model = model
        self.table = table
        self.io_layout = io_layout
        self.nodes: list[Node] = []
        self.vals: dict[str, Val] = {}
        self.warnings: list[str] = []
        self.layouts: dict[int, tuple[str, Perm, str]] = {}  # uid -> (ONNX name, layout, holds)
        self._names: set[str] = set()
        self._views: dict[tuple[int, Perm], Val] = {}
        self._quantized: dict[tuple[int, str, float, int], Val] = {}
        self.consumers: dict[str, list[OnnxNode]] = {}
        for n in model.nodes:
            for x in dict.fromkeys(x for x in n.inputs if x):
                self.consumers.setdefault(x, []).append(n)
        self.graph_outputs = set(model.outputs)
        self.quantized = False  # the model holds Q/DQ or QOperator ops (for fallback warnings)
        self.channel_first = channel_first_inputs(model) if io_layout == "nhwc" else set()

    # ---- naming -------------------------------------------------------------------------
    def unique(self, base: str, suffix: str = "", force: bool = False) -> str:
        """A tensor name not used yet: ``base`` if free (unless ``force``), else
        ``base/suffix`` (numbered when that is taken too)."""
        name = base if not suffix or (base not in self._names and not force) else f"{base}/{suffix}"
        k = 2
        cand = name
        while cand in self._names:
            cand = f"{name}_{k}"
            k += 1
        self._names.add(cand)
        return cand

    # ---- values -------------------------------------------------------------------------
    def get(self, name: str) -> Val:
        v = self.vals.get(name)
        if v is None:
            raise Skip(name)
        return v

    def ir_dtype(self, name: str, default: DType = DType.FLOAT32) -> DType:
        dt = self.table.dtypes.get(name)
        if dt is None:
            return default
        d = dtype_of(dt)
        if d is None:
            raise Unsupported(f"tensor '{name}' has element type {dt}, which is not supported")
        return d

    def spec(self, name: str) -> QSpec | None:
        return self.table.quant.get(name)

    def define_input(self, name: str, shape: tuple[int, ...], dt: np.dtype[Any]) -> Val:
        d = dtype_of(dt)
        if d is None or dt in (np.dtype(np.float16), np.dtype(np.float64)):
            raise Unsupported(f"input '{name}' has element type {dt}, which is not supported")
        v = Val(name, shape, d, quant_params(self.spec(name), len(shape)), recipe=FromInput())
        self.vals[name] = v
        return v

    def define_const(self, name: str, data: np.ndarray) -> Val:
        data = np.asarray(data)
        d = dtype_of(data.dtype) or DType.FLOAT32
        q = quant_params(self.spec(name), data.ndim) if d.is_integer else None
        v = Val(name, tuple(int(x) for x in data.shape), d, q, const=data)
        self.vals[name] = v
        return v

    def define(self, name: str, v: Val) -> Val:
        self.vals[name] = v
        return v

    def const_like(self, v: Val) -> bool:
        """A constant, or the dequantization (through views) of a constant."""
        if v.const is not None:
            return True
        src = self.qsource(v)
        return src is not None and src.const is not None

    def float_data(self, v: Val) -> np.ndarray:
        """The real values of a constant-like value."""
        if v.const is not None:
            return v.const
        src = self.qsource(v)
        assert src is not None and src.const is not None and src.quant is not None
        return dequantize_array(src.const, src.quant)

    def qsource(self, v: Val) -> Val | None:
        """The integer value whose dequantization ``v`` is (through views), or None."""
        total = identity(v.rank)
        cur = v
        while isinstance(cur.recipe, View):
            total = compose(total, cur.recipe.perm)
            cur = cur.recipe.src
        if not isinstance(cur.recipe, Dequant):
            return None
        src = cur.recipe.src
        return src if total == identity(v.rank) else self.view_of(src, total)

    def view_of(self, src: Val, perm: Perm) -> Val:
        """``src`` with ONNX axes permuted (a constant is transposed at once)."""
        key = (id(src), perm)
        if key in self._views:
            return self._views[key]
        q = src.quant
        if q is not None and q.per_axis and q.axis is not None:
            q = QuantParams(q.scale, q.zero_point, perm.index(q.axis))
        if src.const is not None:
            v = Val(
                src.name,
                apply(src.shape, perm),
                src.dtype,
                q,
                const=transpose_data(src.const, perm),
            )
        else:
            v = Val(
                src.name, apply(src.shape, perm), src.dtype, q, recipe=View(src, perm, ""), holds=""
            )
        self._views[key] = v
        return v

    def dequant_val(self, src: Val, origin: str, name: str | None = None) -> Val:
        """The float value of an integer value (a ``dequantize`` node when materialized);
        ``name``: the ONNX value it is (else an internal value)."""
        return Val(
            name or src.name,
            src.shape,
            DType.FLOAT32,
            recipe=Dequant(src, origin),
            holds="onnx" if name else "",
        )

    def quantized_val(self, v: Val, dtype: DType, q: QuantParams, origin: str) -> Val:
        """``v`` quantized with ``q`` (a ``quantize`` node when materialized), shared."""
        key = (id(v), dtype.value, float(q.scale), int(q.zero_point))
        found = self._quantized.get(key)
        if found is None:
            found = Val(f"{v.name}/quantized", v.shape, dtype, q, recipe=Quant(v, origin), holds="")
            self._quantized[key] = found
        return found

    def pref(self, v: Val) -> Perm | None:
        """The layout ``v`` lives in (or will, at no cost); None when any layout is free."""
        if v.home is not None:
            return v.home
        if v.const is not None:
            return None
        r = v.recipe
        if isinstance(r, Dequant | Quant):
            return self.pref(r.src)
        if isinstance(r, View):
            p = self.pref(r.src)
            inv = inverse(r.perm)
            return None if p is None else tuple(inv[x] for x in p)
        if isinstance(r, FromInput):
            if self.io_layout != "nhwc":
                return identity(v.rank)
            if v.name in self.channel_first and v.rank in (3, 4):
                return NHWC if v.rank == 4 else (0, 2, 1)
            return None
        return None

    # ---- materialization ----------------------------------------------------------------
    def bind(self, v: Val, perm: Perm, t: Tensor, record: bool = True) -> None:
        v.tensors[perm] = t
        if v.home is None:
            v.home = perm
        if record and v.holds and not t.is_const:
            self.layouts.setdefault(t.uid, (v.name, perm, v.holds))

    def const_tensor(
        self, name: str, data: np.ndarray, dtype: DType, quant: QuantParams | None
    ) -> Tensor:
        data = np.asarray(np.asarray(data).astype(dtype.np), order="C")
        return Tensor(self.unique(name, "const"), tuple(data.shape), dtype, quant, data)

    def tensor(self, v: Val, perm: Perm) -> Tensor:
        """The IR tensor holding ``v`` in layout ``perm`` (created on first use)."""
        perm = tuple(perm)
        if len(perm) != v.rank:
            raise AssertionError(f"layout {perm} for '{v.name}' of rank {v.rank}")
        t = v.tensors.get(perm)
        if t is not None:
            return t
        if v.const is not None:
            t = self.const_tensor(
                v.name, transpose_data(v.const, perm), v.dtype, map_quant(v.quant, perm)
            )
            v.tensors[perm] = t
            return t
        r = v.recipe
        if isinstance(r, View):
            t = self.tensor(r.src, compose(perm, r.perm))
            self.bind(v, perm, t, record=False)
            return t
        if v.tensors:
            return self._convert(v, perm)
        if isinstance(r, FromInput):
            home = perm if self.io_layout == "nhwc" else identity(v.rank)
            t = Tensor(self.unique(v.name), apply(v.shape, home), v.dtype, map_quant(v.quant, home))
            self.bind(v, home, t)
            return t if home == perm else self._convert(v, perm)
        if isinstance(r, Dequant):
            if r.src.const is not None and r.src.quant is not None:
                data = transpose_data(dequantize_array(r.src.const, r.src.quant), perm)
                t = self.const_tensor(v.name, data, DType.FLOAT32, None)
                v.tensors[perm] = t
                return t
            s = self.tensor(r.src, perm)
            t = self.add_node(
                "dequantize",
                [s],
                None,
                [(self.unique(v.name, "float"), DType.FLOAT32, None)],
                r.origin,
            )[0]
            self.bind(v, perm, t)
            return t
        if isinstance(r, Quant):
            return self._quantize(v, r, perm)
        raise Skip(v.name)

    def _quantize(self, v: Val, r: Quant, perm: Perm) -> Tensor:
        base, bperm = r.src, perm
        while isinstance(base.recipe, View):
            bperm = compose(bperm, base.recipe.perm)
            base = base.recipe.src
        if isinstance(base.recipe, Dequant):
            ival = base.recipe.src
            t0 = self.tensor(ival, bperm)
            want = map_quant(v.quant, perm)
            if ival.dtype is v.dtype and want is not None and want.same_as(t0.quant):
                self.bind(v, perm, t0, record=False)  # the Q/DQ pair cancels
                return t0
            t = self.add_node(
                "quantize", [t0], None, [(self.unique(v.name), v.dtype, want)], r.origin
            )[0]
            self.bind(v, perm, t)
            return t
        p = self.pref(r.src)
        if perm not in r.src.tensors and p is not None and p != perm:
            self.tensor(v, p)  # quantize where the float value lives, move the integers
            return self._convert(v, perm)
        f = self.tensor(r.src, perm)
        q = map_quant(v.quant, perm)
        t = self.add_node("quantize", [f], None, [(self.unique(v.name), v.dtype, q)], r.origin)[0]
        self.bind(v, perm, t)
        return t

    def _convert(self, v: Val, perm: Perm) -> Tensor:
        assert v.home is not None
        src = v.tensors[v.home]
        r = transpose_between(v.home, perm)
        name = self.unique(v.name, tag(perm))
        q = map_quant(v.quant, perm)
        origin = f"{v.name} ({tag(v.home)}->{tag(perm)})"
        if is_memory_trivial(src.shape, r):
            attrs: Any = ReshapeAttrs(apply(v.shape, perm), "reshape")
            t = self.add_node("reshape", [src], attrs, [(name, src.dtype, q)], origin)[0]
        else:
            t = self.add_node(
                "transpose", [src], TransposeAttrs(r), [(name, src.dtype, q)], origin
            )[0]
        self.bind(v, perm, t)
        return t

    def produce(self, name: str, perm: Perm, t: Tensor, through: bool, origin: str) -> Val:
        """Bind a node output ``t`` (layout ``perm``) to the ONNX value ``name``."""
        shape = unapply(t.shape, perm)
        q = t.quant
        if q is not None and q.per_axis and q.axis is not None:
            q = QuantParams(q.scale, q.zero_point, perm[q.axis])
        v = Val(name, shape, t.dtype, q, holds="quantized" if through else "onnx")
        self.bind(v, perm, t)
        if through:
            self.vals[name] = self.dequant_val(v, origin, name)
        else:
            self.vals[name] = v
        return v

    # ---- nodes --------------------------------------------------------------------------
    def add_node(
        self,
        op: str,
        inputs: list[Tensor | None],
        attrs: Any,
        outs: list[tuple[str, DType, QuantParams | None]],
        origin: str,
    ) -> list[Tensor]:
        """Append an IR node; output shapes come from the op's shape inference."""
        placeholders = [Tensor(name, (), dt, q) for name, dt, q in outs]
        node = Node(op, list(inputs), placeholders, attrs, origin, numerics=NUMERICS)
        try:
            shapes = get_op(op).infer_shapes(node)
        except (ValueError, IndexError, ZeroDivisionError) as e:
            raise Invalid(str(e)) from None
        for t, s in zip(placeholders, shapes, strict=True):
            t.shape = tuple(int(d) for d in s)
            if math.prod(t.shape) < 0:
                raise Invalid(f"negative dimension in {list(t.shape)}")
        self.nodes.append(node)
        return placeholders
