"""Graph nodes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcuai.ir.tensor import Tensor


@dataclass(eq=False)
class Node:
    """One operation.

    ``op`` is a key of the op registry (:mod:`mcuai.ops`); ``attrs`` is that op's frozen attribute
    dataclass; ``origin`` names the source node(s) in the original model and is used by every error
    and report row. Optional inputs that are absent are ``None``.
    """

    op: str
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    attrs: Any
    origin: str
    #: Set by memory-sharing passes: output 0 occupies the storage of input ``alias``
    #: (a zero-copy view such as a reshape). ``None``: the output has storage of its own.
    alias: int | None = None
    #: Arithmetic rule of the source runtime: 'tflite' (fixed-point requantization, TFLite
    #: reference kernels), 'tflite-uint8' / 'tflite-uint8-mixed' (a uint8 TFLite op whose
    #: reference rounds differently from its int8 twin, see ``lower/uint8.py``) or
    #: 'onnxruntime' (float requantization as ORT:
    #: q = saturate(round_half_to_even(acc * (s_in*s_w/s_out)) + zp)).
    numerics: str = "tflite"
    #: Overlapping in-place layers (``memory/overlap.py``): the kernel walks its output from the
    #: last pixel to the first, and the output lies above its input instead of below.
    backward: bool = False

    def input(self, i: int) -> Tensor:
        """Input ``i``; raises if it is absent."""
        t = self.inputs[i] if i < len(self.inputs) else None
        if t is None:
            raise IndexError(f"{self.origin}: input {i} is absent")
        return t

    def opt_input(self, i: int) -> Tensor | None:
        return self.inputs[i] if i < len(self.inputs) else None

    @property
    def output(self) -> Tensor:
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"Node({self.op}, origin={self.origin!r})"
