"""The lowered program: what the code generator emits, as data.

A :class:`Program` is the list of :class:`Layer` (one per IR node, in schedule order), each with
zero or more kernel :class:`Call`. Arguments are typed values: :class:`TensorRef` (a pointer to
an activation, resolved by the code generator to an arena offset or an I/O buffer),
:class:`CArray` (a constant array in ``<name>_data.c``), :class:`Struct` (a ``static const``
parameter struct passed by address), :class:`Scratch` (the call's scratch area in the arena),
Python ``int``/``float`` literals and :class:`Raw` C expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor

#: C element types of constant arrays, keyed by numpy dtype name.
CTYPES: dict[str, str] = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "float32": "float",
}


@dataclass(eq=False)
class CArray:
    """A constant array; ``data`` is 1-D with a dtype from :data:`CTYPES`."""

    hint: str  # what it holds, e.g. "weights", "bias", "multiplier" (naming and comments)
    data: np.ndarray
    comment: str = ""
    name: str = ""  # C identifier, assigned by the code generator

    @property
    def ctype(self) -> str:
        return CTYPES[str(self.data.dtype)]


@dataclass(frozen=True, eq=False)
class TensorRef:
    """Pointer to an activation tensor; ``out`` for tensors the kernel writes."""

    tensor: Tensor
    out: bool = False


@dataclass(frozen=True)
class Scratch:
    """Pointer to this call's scratch area (``Call.scratch_bytes`` bytes in the arena)."""


@dataclass(frozen=True)
class Raw:
    """A C expression emitted verbatim (e.g. an enum constant)."""

    text: str


@dataclass(eq=False)
class Struct:
    """A parameter struct: emitted as ``static const <ctype> pN = {...};`` (identical structs
    once) and passed as ``&pN``. Field values may be literals, nested :class:`Struct` (by value)
    or :class:`CArray` (by name)."""

    ctype: str
    fields: list[tuple[str, Value]]


Value = int | float | bool | CArray | TensorRef | Scratch | Raw | Struct


@dataclass(eq=False)
class Call:
    kernel: str  # C function name, e.g. "mcu_conv2d_s8"
    files: tuple[str, ...]  # kernel library units to copy (basename without extension)
    args: list[Value]
    scratch_bytes: int = 0
    comment: str = ""


@dataclass(eq=False)
class Layer:
    node: Node
    calls: list[Call]
    index: int = 0


@dataclass(eq=False)
class Program:
    graph: Graph
    layers: list[Layer]
    notes: list[str] = field(default_factory=list)  # e.g. fallbacks chosen while lowering

    @property
    def kernel_files(self) -> list[str]:
        """Kernel units used, sorted (deterministic output)."""
        return sorted({f for la in self.layers for c in la.calls for f in c.files})


def const_arrays(calls: list[Call]) -> list[np.ndarray]:
    """Every constant array the calls reference (``CArray`` arguments and struct fields, and
    constant tensors passed as :class:`TensorRef`), as the code generator will store them."""
    found: list[np.ndarray] = []

    def visit(v: Value) -> None:
        if isinstance(v, CArray):
            found.append(v.data)
        elif isinstance(v, TensorRef) and v.tensor.data is not None:
            found.append(v.tensor.data)
        elif isinstance(v, Struct):
            for _, x in v.fields:
                visit(x)

    for c in calls:
        for a in c.args:
            visit(a)
    return found
