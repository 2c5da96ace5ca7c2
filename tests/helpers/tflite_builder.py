"""Build small ``.tflite`` models in tests with the flatbuffer schema's object API.

The files are written exactly as the TFLite converter lays them out (buffer 0 empty, one
subgraph, operator codes deduplicated), so LiteRT loads them and can serve as the reference.
"""

from __future__ import annotations

from typing import Any

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s

_TYPES = {
    "float32": s.TensorType.FLOAT32,
    "int32": s.TensorType.INT32,
    "uint8": s.TensorType.UINT8,
    "int64": s.TensorType.INT64,
    "int16": s.TensorType.INT16,
    "int8": s.TensorType.INT8,
    "bool": s.TensorType.BOOL,
}


class TFLiteBuilder:
    def __init__(self) -> None:
        self.buffers: list[Any] = [s.BufferT()]
        self.tensors: list[Any] = []
        self.operators: list[Any] = []
        self.opcodes: list[Any] = []
        self._opcode_index: dict[tuple[int, str], int] = {}

    def tensor(
        self,
        name: str,
        shape: list[int] | tuple[int, ...],
        dtype: str,
        data: np.ndarray | None = None,
        scale: float | list[float] | None = None,
        zero_point: int | list[int] | None = None,
        axis: int = 0,
    ) -> int:
        t = s.TensorT()
        t.name = name
        t.shape = np.asarray(shape, dtype=np.int32)
        t.type = _TYPES[dtype]
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype=np.uint8)
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        if scale is not None:
            q = s.QuantizationParametersT()
            q.scale = np.atleast_1d(np.asarray(scale, dtype=np.float32))
            zp = 0 if zero_point is None else zero_point
            q.zeroPoint = np.atleast_1d(np.asarray(zp, dtype=np.int64))
            q.quantizedDimension = axis
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def const(self, name: str, data: np.ndarray, **quant: Any) -> int:
        dtype = str(data.dtype)
        return self.tensor(name, list(data.shape), dtype, data=data, **quant)

    def op(
        self,
        builtin: str,
        inputs: list[int],
        outputs: list[int],
        options: Any = None,
        options_type: str | None = None,
        version: int = 1,
        custom: str | None = None,
    ) -> None:
        code = getattr(s.BuiltinOperator, builtin)
        key = (code, custom or "")
        if key not in self._opcode_index:
            oc = s.OperatorCodeT()
            oc.builtinCode = code
            oc.deprecatedBuiltinCode = min(code, 127)
            oc.version = version
            if custom:
                oc.customCode = custom
            self._opcode_index[key] = len(self.opcodes)
            self.opcodes.append(oc)
        o = s.OperatorT()
        o.opcodeIndex = self._opcode_index[key]
        o.inputs = np.asarray(inputs, dtype=np.int32)
        o.outputs = np.asarray(outputs, dtype=np.int32)
        if options is not None:
            name = options_type or type(options).__name__[:-1]  # Conv2DOptionsT -> Conv2DOptions
            o.builtinOptionsType = getattr(s.BuiltinOptions, name)
            o.builtinOptions = options
        self.operators.append(o)

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        sg = s.SubGraphT()
        sg.tensors = self.tensors
        sg.operators = self.operators
        sg.inputs = np.asarray(inputs, dtype=np.int32)
        sg.outputs = np.asarray(outputs, dtype=np.int32)
        sg.name = "main"
        m = s.ModelT()
        m.version = 3
        m.operatorCodes = self.opcodes
        m.subgraphs = [sg]
        m.buffers = self.buffers
        m.description = "built by mcuai tests"
        b = flatbuffers.Builder(1024)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def options(cls_name: str, **fields: Any) -> Any:
    """An options object, e.g. ``options("Conv2DOptionsT", padding=0, strideH=1)``."""
    o = getattr(s, cls_name)()
    for k, v in fields.items():
        if not hasattr(o, k):
            raise AttributeError(f"{cls_name} has no field {k}")
        setattr(o, k, v)
    return o
