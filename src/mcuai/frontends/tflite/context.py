"""Per-model and per-operator state of the TFLite importer.

:class:`Importer` turns TFLite tensors into IR tensors (once each, cached by index), and
:class:`OpContext` gives a converter typed access to one operator's inputs, outputs and options.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from mcuai.errors import ModelError
from mcuai.frontends.tflite.reader import TENSOR_TYPES, TYPE_NAMES, TFLiteModel, _int_list, _text
from mcuai.ir.node import Node
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.ops._common import Activation


class Unsupported(Exception):
    """Raised by a converter for a valid operator mcuai cannot deploy (collected, not fatal)."""


class Importer:
    """Creates IR tensors from TFLite tensor indices."""

    def __init__(self, tfl: TFLiteModel) -> None:
        self.tfl = tfl
        self._tensors: dict[int, Tensor] = {}
        self.bias_axis_fixes: list[str] = []

    def tensor(self, i: int) -> Tensor:
        if i in self._tensors:
            return self._tensors[i]
        t = self.tfl.subgraph.tensors[i]
        name = self.tfl.tensor_name(i)
        ttype = int(t.type)
        if ttype not in TENSOR_TYPES:
            raise Unsupported(
                f"tensor '{name}' has type {TYPE_NAMES.get(ttype, ttype)}, which is not supported"
            )
        if t.sparsity is not None:
            raise Unsupported(f"tensor '{name}' is sparse, which is not supported")
        if t.isVariable:
            raise Unsupported(f"tensor '{name}' is a variable (stateful model)")
        dtype = TENSOR_TYPES[ttype]
        shape = tuple(_int_list(t.shape))
        data = None
        buf = self.tfl.buffers[int(t.buffer)] if self.tfl.buffers else None
        if buf is not None:
            data = buf.view(dtype.np.newbyteorder("<")).astype(dtype.np).reshape(shape)
        quant = None if dtype.is_float else self._quant(t, name, shape)
        tensor = Tensor(name=name, shape=shape, dtype=dtype, quant=quant, data=data)
        self._tensors[i] = tensor
        return tensor

    def _quant(self, t: Any, name: str, shape: tuple[int, ...]) -> QuantParams | None:
        q = t.quantization
        if q is None or q.scale is None or len(q.scale) == 0:
            return None
        if q.details is not None and q.detailsType:
            raise Unsupported(f"tensor '{name}' uses custom quantization details")
        scale = np.asarray(q.scale, dtype=np.float32).reshape(-1)
        zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else [], dtype=np.int64)
        zp = zp.reshape(-1)
        if zp.size == 0:
            zp = np.zeros_like(scale, dtype=np.int64)
        if zp.size == 1 and scale.size > 1:
            zp = np.full(scale.shape, zp[0], dtype=np.int64)
        if zp.size != scale.size:
            raise ModelError(
                f"{self.tfl.path}: tensor '{name}' has {scale.size} scales "
                f"and {zp.size} zero points"
            )
        if scale.size == 1:
            return QuantParams(scale[0], zp[0])
        axis = int(q.quantizedDimension)
        if not 0 <= axis < len(shape) or shape[axis] != scale.size:
            if len(shape) == 1 and shape[0] == scale.size:
                # TFLite Micro accepts this (e.g. person_detect.tflite biases say axis 3).
                self.bias_axis_fixes.append(name)
                axis = 0
            else:
                raise ModelError(
                    f"{self.tfl.path}: tensor '{name}' {list(shape)} has {scale.size} "
                    f"per-channel scales on quantized_dimension {axis}"
                )
        return QuantParams(scale, zp, axis)


class OpContext:
    """One TFLite operator being converted."""

    def __init__(self, imp: Importer, index: int, op: Any, opname: str) -> None:
        self.imp = imp
        self.index = index
        self.op = op
        self.opname = opname
        self.in_idx = _int_list(op.inputs)
        self.out_idx = _int_list(op.outputs)

    @property
    def origin(self) -> str:
        """Name used in reports and errors: the first output tensor's name."""
        return self.imp.tfl.tensor_name(self.out_idx[0])

    def options(self, cls: type) -> Any:
        """The builtin options object, or the schema's defaults when the model omits it."""
        o = self.op.builtinOptions
        return o if isinstance(o, cls) else cls()

    @property
    def num_inputs(self) -> int:
        return len(self.in_idx)

    def x(self, i: int) -> Tensor:
        if i >= len(self.in_idx) or self.in_idx[i] < 0:
            raise ModelError(
                f"{self.imp.tfl.path}: operator {self.index} ({self.opname}) is missing input {i}"
            )
        return self.imp.tensor(self.in_idx[i])

    def opt(self, i: int) -> Tensor | None:
        if i >= len(self.in_idx) or self.in_idx[i] < 0:
            return None
        return self.imp.tensor(self.in_idx[i])

    def const(self, i: int) -> np.ndarray:
        """Data of a constant input (shape, axes, paddings ...); non-constant -> Unsupported."""
        t = self.x(i)
        if t.data is None:
            raise Unsupported(f"input {i} ('{t.name}') must be a constant")
        return t.data

    def out(self, i: int = 0) -> Tensor:
        return self.imp.tensor(self.out_idx[i])

    def outs(self) -> list[Tensor]:
        return [self.imp.tensor(i) for i in self.out_idx]

    def node(
        self,
        op: str,
        inputs: list[Tensor | None],
        attrs: Any = None,
        outputs: list[Tensor] | None = None,
    ) -> Node:
        return Node(op, inputs, outputs or [self.out()], attrs, self.origin)

    def activation(self, code: int) -> Activation:
        table = {
            schema.ActivationFunctionType.NONE: Activation.NONE,
            schema.ActivationFunctionType.RELU: Activation.RELU,
            schema.ActivationFunctionType.RELU6: Activation.RELU6,
            schema.ActivationFunctionType.RELU_N1_TO_1: Activation.RELU_N1_TO_1,
        }
        if int(code) not in table:
            raise Unsupported(f"fused activation {code} is not supported")
        return table[int(code)]


def text(v: bytes | str | None) -> str:
    return _text(v)
