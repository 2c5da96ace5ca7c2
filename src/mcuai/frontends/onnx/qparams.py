"""Element types and quantization parameters of every tensor of an ONNX model.

ONNX states quantization parameters on ops, not on tensors: a QuantizeLinear writes an integer
tensor with its (scale, zero point), a DequantizeLinear reads one with its own, QLinearConv reads
``x`` and ``w`` and writes ``y`` with theirs, and layout ops (Reshape, Transpose, Slice, ...) move
raw integers without any. The IR holds parameters on tensors, so this module gathers every
statement about each integer tensor, joins tensors that layout ops connect (they share one set of
parameters), and checks that the statements of each group agree. A group whose statements differ
(an integer tensor written with one scale and read with another) is reported as unsupported.

Weak statements fill in parameters nobody states: the input of ``ConvInteger``/``MatMulInteger``
and of a ``Cast`` to float is read as ``real = 1.0 * (q - zero_point)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from mcuai.frontends.onnx.reader import MS_DOMAIN, OnnxModel, OnnxNode

F32 = np.dtype(np.float32)
I64 = np.dtype(np.int64)
I32 = np.dtype(np.int32)
U8 = np.dtype(np.uint8)
QUANT_TYPES = {np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int16), np.dtype(np.int32)}

#: Ops that move integers without computing on them: their output has the input's parameters.
MOVE_OPS = {
    "Reshape",
    "Flatten",
    "Squeeze",
    "Unsqueeze",
    "Transpose",
    "Identity",
    "Dropout",
    "Slice",
    "Split",
    "Gather",
    "MaxPool",
    "GlobalMaxPool",
    "Pad",
    "Resize",
    "Upsample",
    "Concat",
    "DepthToSpace",
    "SpaceToDepth",
    "Tile",
    "Expand",
    "ReduceMax",
    "ReduceMin",
}

#: QOperator ops: (input triples (tensor, scale, zero point), output triples) by position.
QOP_IO: dict[str, tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]] = {
    "QLinearConv": ([(0, 1, 2), (3, 4, 5)], [(0, 6, 7)]),
    "QLinearMatMul": ([(0, 1, 2), (3, 4, 5)], [(0, 6, 7)]),
    "QGemm": ([(0, 1, 2), (3, 4, 5)], [(0, 7, 8)]),
    "QLinearAdd": ([(0, 1, 2), (3, 4, 5)], [(0, 6, 7)]),
    "QLinearMul": ([(0, 1, 2), (3, 4, 5)], [(0, 6, 7)]),
    "QLinearAveragePool": ([(0, 1, 2)], [(0, 3, 4)]),
    "QLinearGlobalAveragePool": ([(0, 1, 2)], [(0, 3, 4)]),
    "QLinearSigmoid": ([(0, 1, 2)], [(0, 3, 4)]),
    "QLinearLeakyRelu": ([(0, 1, 2)], [(0, 3, 4)]),
    "QLinearSoftmax": ([(0, 1, 2)], [(0, 3, 4)]),
}
QOP_NAMES = {*QOP_IO, "QLinearConcat"}

_CMP = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor"}


@dataclass(frozen=True)
class QSpec:
    """Quantization parameters as a model states them (``axis`` as written, per-axis only)."""

    scale: np.ndarray  # float32, shape () or (C,)
    zero_point: np.ndarray  # int64, same shape
    axis: int | None
    dtype: np.dtype[Any]
    who: str  # the node that states them, for messages
    weak: bool = False

    def same(self, other: QSpec) -> bool:
        return (
            self.dtype == other.dtype
            and self.scale.shape == other.scale.shape
            and bool(np.array_equal(self.scale, other.scale))
            and bool(np.array_equal(self.zero_point, other.zero_point))
            and (self.scale.ndim == 0 or self.axis == other.axis)
        )

    def describe(self) -> str:
        if self.scale.ndim == 0:
            return f"{self.dtype} s={float(self.scale):.8g} zp={int(self.zero_point)}"
        return f"{self.dtype} per-axis({self.axis}) {self.scale.size} scales"


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _np(dt: int) -> np.dtype[Any] | None:
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(dt))
    except Exception:
        return None


class QuantTable:
    """Element type of every tensor name and quantization parameters of integer tensors."""

    def __init__(self, model: OnnxModel) -> None:
        self.model = model
        self.dtypes: dict[str, np.dtype[Any]] = {}
        self.quant: dict[str, QSpec] = {}
        self.problems: list[str] = []
        self._statements: dict[str, list[QSpec]] = {}
        self._uf = _UnionFind()
        for name, arr in model.consts.items():
            self.dtypes[name] = arr.dtype
        for name, (_, dt) in model.inputs.items():
            self.dtypes[name] = dt
        for n in model.nodes:
            for o, dt in zip(n.outputs, self._out_types(n), strict=False):
                if o:
                    self.dtypes[o] = dt
            self._collect(n)
        self._resolve()

    # ---- element types -------------------------------------------------------------------
    def _in_type(self, n: OnnxNode, i: int) -> np.dtype[Any]:
        if i < len(n.inputs) and n.inputs[i]:
            return self.dtypes.get(n.inputs[i], F32)
        return F32

    def _out_types(self, n: OnnxNode) -> list[np.dtype[Any]]:
        op, k = n.op, len(n.outputs)
        declared = [self.model.elem_types.get(o) for o in n.outputs]
        if op == "QuantizeLinear":
            if len(n.inputs) > 2 and n.inputs[2]:
                return [self._in_type(n, 2)]
            out_dt = int(n.attr("output_dtype", 0))
            return [(_np(out_dt) if out_dt else None) or U8]
        if op == "DequantizeLinear":
            return [self._in_type(n, 1)]
        if op in QOP_IO:
            y = QOP_IO[op][1][0]
            if len(n.inputs) > y[2] and n.inputs[y[2]]:
                return [self._in_type(n, y[2])]
            if op == "QGemm" and not (len(n.inputs) > y[1] and n.inputs[y[1]]):
                return [F32]
            return [U8]
        if op == "QLinearConcat":
            return [self._in_type(n, 1)]
        if op in ("ConvInteger", "MatMulInteger"):
            return [I32]
        if op == "DynamicQuantizeLinear":
            return [U8, F32, U8]
        if op == "Cast":
            return [_np(int(n.attr("to", 1))) or F32]
        if op in ("Shape", "Size", "ArgMax", "ArgMin", "NonZero"):
            return [I64] * k
        if op in _CMP:
            return [np.dtype(np.bool_)] * k
        if op == "ConstantOfShape":
            v = n.attr("value")
            return [v.dtype if isinstance(v, np.ndarray) else F32]
        if op == "Constant":
            for key, val in n.attrs.items():
                if isinstance(val, np.ndarray):
                    return [val.dtype]
                if key in ("value_int", "value_ints"):
                    return [I64]
            return [F32]
        if op == "MaxPool" and k == 2:
            return [self._in_type(n, 0), I64]
        if op == "Dropout":
            return [self._in_type(n, 0), np.dtype(np.bool_)][:k]
        if op in ("LayerNormalization",):
            return [self._in_type(n, 0)] + [F32] * (k - 1)
        out = [self._in_type(n, 0)] * k
        return [d if d is not None else o for d, o in zip(declared, out, strict=True)]

    # ---- statements ----------------------------------------------------------------------
    def _const(self, name: str) -> np.ndarray | None:
        return self.model.consts.get(name) if name else None

    def _spec(
        self,
        n: OnnxNode,
        s: int,
        z: int,
        dtype: np.dtype[Any],
        axis: int | None,
        weak: bool = False,
    ) -> QSpec | None:
        sname = n.inputs[s] if s < len(n.inputs) else ""
        scale = self._const(sname)
        if scale is None:
            if sname:
                self.problems.append(
                    f"{n.label}: the scale '{sname}' is computed at run time (dynamic "
                    "quantization is not supported; quantize statically, e.g. with "
                    "`mcuai quantize`)"
                )
            return None
        zname = n.inputs[z] if z < len(n.inputs) else ""
        zp = self._const(zname)
        if zname and zp is None:
            self.problems.append(f"{n.label}: the zero point '{zname}' is computed at run time")
            return None
        scale = np.asarray(scale, np.float32)
        zp_arr = np.zeros(scale.shape, np.int64) if zp is None else np.asarray(zp, np.int64)
        if scale.size == 1 and zp_arr.size == 1:
            scale, zp_arr = scale.reshape(()), zp_arr.reshape(())
        elif scale.size == 1 or zp_arr.size == 0:
            self.problems.append(f"{n.label}: {scale.size} scale(s) for {zp_arr.size} zero points")
            return None
        elif scale.ndim != 1 or zp_arr.size not in (1, scale.size):
            self.problems.append(
                f"{n.label}: blocked or multi-dimensional scales are not supported"
            )
            return None
        else:
            zp_arr = np.broadcast_to(zp_arr.reshape(-1), scale.shape).copy()
        return QSpec(scale, zp_arr, axis if scale.ndim else None, dtype, n.name, weak)

    def _state(self, name: str, spec: QSpec | None) -> None:
        if name and spec is not None:
            self._statements.setdefault(name, []).append(spec)

    def _collect(self, n: OnnxNode) -> None:
        op = n.op
        if op in ("QuantizeLinear", "DequantizeLinear"):
            if int(n.attr("block_size", 0)) > 0:
                self.problems.append(f"{n.label}: blocked quantization is not supported")
                return
            quantized = n.outputs[0] if op == "QuantizeLinear" else n.inputs[0]
            dt = self.dtypes.get(quantized, U8)
            self._state(quantized, self._spec(n, 1, 2, dt, int(n.attr("axis", 1))))
            return
        if n.domain in ("", MS_DOMAIN) and op in QOP_IO:
            ins, outs = QOP_IO[op]
            for t, s, z in ins:
                axis = self._weight_axis(n) if t == 3 else 1
                self._state(n.inputs[t], self._spec(n, s, z, self._in_type(n, t), axis))
            for t, s, z in outs:
                if s < len(n.inputs) and n.inputs[s]:
                    dt = self.dtypes.get(n.outputs[t], U8)
                    self._state(n.outputs[t], self._spec(n, s, z, dt, 1))
            return
        if op == "QLinearConcat":
            self._state(n.outputs[0], self._spec(n, 0, 1, self.dtypes.get(n.outputs[0], U8), 1))
            for k in range(2, len(n.inputs), 3):
                self._state(n.inputs[k], self._spec(n, k + 1, k + 2, self._in_type(n, k), 1))
            return
        if op in ("ConvInteger", "MatMulInteger"):
            zp = self._const(n.inputs[2]) if len(n.inputs) > 2 and n.inputs[2] else None
            zp_v = np.asarray(0 if zp is None else zp, np.int64).reshape(-1)[:1].reshape(())
            one = np.asarray(1.0, np.float32)
            self._state(n.inputs[0], QSpec(one, zp_v, None, self._in_type(n, 0), n.name, True))
            self._state(n.outputs[0], QSpec(one, np.asarray(0, np.int64), None, I32, n.name, False))
            return
        if op == "Cast" and self._in_type(n, 0) in QUANT_TYPES:
            one = np.asarray(1.0, np.float32)
            zero = np.asarray(0, np.int64)
            self._state(n.inputs[0], QSpec(one, zero, None, self._in_type(n, 0), n.name, True))
            return
        if op in MOVE_OPS and self._in_type(n, 0) in QUANT_TYPES:
            data = [n.inputs[0]] if op != "Concat" else [x for x in n.inputs if x]
            for x in data:
                if x in self.model.consts:
                    continue  # constants are folded; their result gets its own statements
                for o in n.outputs[: 1 if op in ("MaxPool", "Dropout") else None]:
                    if o:
                        self._uf.union(x, o)

    def _weight_axis(self, n: OnnxNode) -> int:
        if n.op == "QLinearMatMul":
            return 1
        if n.op == "QGemm":
            return 0 if int(n.attr("transB", 0)) else 1
        return 0

    # ---- resolution ----------------------------------------------------------------------
    def _resolve(self) -> None:
        groups: dict[str, list[str]] = {}
        for name in set(self._statements) | set(self._uf.parent):
            groups.setdefault(self._uf.find(name), []).append(name)
        for members in groups.values():
            members.sort()
            stated = [(m, s) for m in members for s in self._statements.get(m, [])]
            strong = [(m, s) for m, s in stated if not s.weak]
            pool = strong or stated
            if not pool:
                continue
            first_name, first = pool[0]
            for m, s in pool[1:]:
                if not s.same(first):
                    self.problems.append(
                        f"tensor '{m}' is quantized as {s.describe()} by '{s.who}' but as "
                        f"{first.describe()} by '{first.who}' (on '{first_name}'); an integer "
                        "tensor must have one set of quantization parameters"
                    )
                    break
            for m in members:
                self.quant[m] = first
