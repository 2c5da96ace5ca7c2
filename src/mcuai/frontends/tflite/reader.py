"""Read and check a ``.tflite`` flatbuffer: file -> :class:`TFLiteModel` of plain values.

The flatbuffer is parsed with the schema module that ai-edge-litert ships
(``ai_edge_litert.schema_py_generated``, object API). Corrupt files fail inside that parser with
arbitrary low-level exceptions; :func:`read_model` turns each into one :class:`ModelError`
naming the file, then checks every index and size the rest of mcuai relies on (operator codes,
tensor and buffer indices, shapes, buffer lengths), so later stages never index out of range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from mcuai.errors import ModelError
from mcuai.ir.dtypes import DType

#: TFLite TensorType value -> IR dtype (types mcuai can hold; others are reported).
TENSOR_TYPES: dict[int, DType] = {
    schema.TensorType.FLOAT32: DType.FLOAT32,
    schema.TensorType.INT32: DType.INT32,
    schema.TensorType.UINT8: DType.UINT8,
    schema.TensorType.INT64: DType.INT64,
    schema.TensorType.BOOL: DType.BOOL,
    schema.TensorType.INT16: DType.INT16,
    schema.TensorType.INT8: DType.INT8,
}
TYPE_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")
}
BUILTIN_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")
}
MAX_ELEMENTS = 1 << 31  # no MCU tensor comes close; larger shapes mean a corrupt file


@dataclass
class TFLiteModel:
    """The checked contents of subgraph 0 of a TFLite model."""

    path: str
    model: Any  # schema.ModelT
    subgraph: Any  # schema.SubGraphT
    opcodes: list[str]  # operator code index -> "CONV_2D" or "CUSTOM:Name"
    buffers: list[np.ndarray | None]  # buffer index -> uint8 data (None: empty)
    warnings: list[str]

    def tensor_name(self, i: int) -> str:
        t = self.subgraph.tensors[i]
        return _text(t.name) or f"tensor_{i}"


def _text(v: bytes | str | None) -> str:
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    return str(v)


def load_bytes(path: Path) -> bytes:
    """Read a model file; missing, unreadable and empty files are :class:`ModelError`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a directory, not a model file") from None
    except OSError as e:
        raise ModelError(f"{path}: cannot read ({e.strerror})") from None
    if not data:
        raise ModelError(f"{path}: file is empty")
    return data


def read_model(data: bytes, path: str) -> TFLiteModel:
    """Parse ``data`` and check it; every problem is a :class:`ModelError` naming ``path``."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        found = data[4:8] if len(data) >= 8 else b""
        raise ModelError(
            f"{path}: not a TFLite flatbuffer (file identifier {found!r}, expected b'TFL3')"
        )
    try:
        root = schema.Model.GetRootAsModel(data, 0)
        model = schema.ModelT.InitFromObj(root)
    except Exception as e:  # any failure inside the generated parser means a corrupt file
        raise ModelError(f"{path}: corrupt TFLite flatbuffer ({type(e).__name__}: {e})") from None
    return _check(model, data, path)


def _fail(path: str, msg: str) -> ModelError:
    return ModelError(f"{path}: {msg}")


def _int_list(v: Any) -> list[int]:
    if v is None:
        return []
    return [int(x) for x in np.asarray(v).reshape(-1)]


def _check(model: Any, data: bytes, path: str) -> TFLiteModel:
    if not model.subgraphs:
        raise _fail(path, "the model has no subgraph")
    warnings: list[str] = []
    if len(model.subgraphs) > 1:
        warnings.append(f"{path}: {len(model.subgraphs)} subgraphs; only the main one (0) is used")
    sg = model.subgraphs[0]
    sg.tensors = sg.tensors or []
    sg.operators = sg.operators or []
    # operator codes
    opcodes: list[str] = []
    for oc in model.operatorCodes or []:
        code = max(int(oc.builtinCode), int(oc.deprecatedBuiltinCode))
        name = BUILTIN_NAMES.get(code, f"BUILTIN_{code}")
        if name == "CUSTOM":
            name = f"CUSTOM:{_text(oc.customCode) or '?'}"
        opcodes.append(name)
    # buffers
    buffers: list[np.ndarray | None] = []
    for bi, b in enumerate(model.buffers or []):
        if b.data is not None and len(b.data):
            buffers.append(np.asarray(b.data, dtype=np.uint8).reshape(-1))
        elif int(b.offset) > 1:
            off, size = int(b.offset), int(b.size)
            if off + size > len(data):
                raise _fail(path, f"buffer {bi} points past the end of the file")
            buffers.append(np.frombuffer(data, dtype=np.uint8, count=size, offset=off))
        else:
            buffers.append(None)
    # tensors
    nt = len(sg.tensors)
    for ti, t in enumerate(sg.tensors):
        shape = _int_list(t.shape)
        if any(d < 0 for d in shape):
            raise _fail(path, f"tensor {ti} '{_text(t.name)}' has a negative dimension {shape}")
        if math.prod(shape) >= MAX_ELEMENTS:
            raise _fail(path, f"tensor {ti} '{_text(t.name)}' has an absurd shape {shape}")
        if not 0 <= int(t.buffer) < max(len(buffers), 1):
            raise _fail(
                path,
                f"tensor {ti} '{_text(t.name)}' refers to buffer {t.buffer}, "
                f"but the model has {len(buffers)} buffers",
            )
        buf = buffers[int(t.buffer)] if buffers else None
        if buf is not None and int(t.type) in TENSOR_TYPES:
            need = math.prod(shape) * TENSOR_TYPES[int(t.type)].itemsize
            if buf.size != need:
                raise _fail(
                    path,
                    f"tensor {ti} '{_text(t.name)}' {shape} needs {need} bytes, "
                    f"its buffer {t.buffer} holds {buf.size}",
                )

    def check_index(i: int, what: str, optional: bool) -> None:
        if optional and i == -1:
            return
        if not 0 <= i < nt:
            raise _fail(path, f"{what} refers to tensor {i}, but there are {nt} tensors")

    for i in _int_list(sg.inputs):
        check_index(i, "a model input", False)
    for i in _int_list(sg.outputs):
        check_index(i, "a model output", False)
    if not _int_list(sg.inputs) or not _int_list(sg.outputs):
        raise _fail(path, "the model declares no inputs or no outputs")
    for oi, op in enumerate(sg.operators):
        if not 0 <= int(op.opcodeIndex) < len(opcodes):
            raise _fail(
                path, f"operator {oi} uses opcode {op.opcodeIndex} of {len(opcodes)} opcodes"
            )
        for i in _int_list(op.inputs):
            check_index(i, f"operator {oi} ({opcodes[op.opcodeIndex]})", True)
        outs = _int_list(op.outputs)
        if not outs:
            raise _fail(path, f"operator {oi} ({opcodes[op.opcodeIndex]}) has no outputs")
        for i in outs:
            check_index(i, f"operator {oi} ({opcodes[op.opcodeIndex]})", False)
    return TFLiteModel(path, model, sg, opcodes, buffers, warnings)
