"""Tensors and their affine quantization parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mcuai.ir.dtypes import DType


@dataclass(frozen=True, eq=False)
class QuantParams:
    """Affine quantization ``real = scale * (q - zero_point)``.

    ``scale`` and ``zero_point`` have shape ``()`` for per-tensor quantization and ``(C,)`` for
    per-axis (per-channel) quantization along ``axis``. Scales are kept as float32, exactly as the
    model stores them: requantization multipliers are derived from these exact values.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", np.asarray(self.scale, dtype=np.float32))
        object.__setattr__(self, "zero_point", np.asarray(self.zero_point, dtype=np.int64))
        if self.scale.shape != self.zero_point.shape:
            raise ValueError("scale and zero_point must have the same shape")
        if self.scale.ndim > 1:
            raise ValueError("scale must be a scalar or a vector")
        if self.scale.ndim == 1 and self.axis is None:
            raise ValueError("per-axis quantization needs an axis")
        if self.scale.ndim == 0 and self.axis is not None:
            object.__setattr__(self, "axis", None)

    @classmethod
    def per_tensor(cls, scale: float, zero_point: int) -> QuantParams:
        return cls(np.asarray(scale, np.float32), np.asarray(zero_point, np.int64))

    @property
    def per_axis(self) -> bool:
        return self.scale.ndim == 1

    @property
    def channels(self) -> int:
        return int(self.scale.size)

    @property
    def symmetric(self) -> bool:
        """True when every zero point is 0."""
        return bool(np.all(self.zero_point == 0))

    def scalar_scale(self) -> float:
        """The per-tensor scale (as a Python float of the float32 value)."""
        if self.per_axis:
            raise ValueError("per-axis quantization has no single scale")
        return float(self.scale)

    def scalar_zero_point(self) -> int:
        if self.per_axis:
            raise ValueError("per-axis quantization has no single zero point")
        return int(self.zero_point)

    def same_as(self, other: QuantParams | None) -> bool:
        """Exact equality of scales, zero points and axis."""
        return (
            other is not None
            and self.axis == other.axis
            and self.scale.shape == other.scale.shape
            and bool(np.array_equal(self.scale, other.scale))
            and bool(np.array_equal(self.zero_point, other.zero_point))
        )

    def describe(self) -> str:
        """Short stable text, e.g. ``s=0.0039216 zp=-128`` or ``per-axis(3) 16ch symmetric``."""
        if self.per_axis:
            sym = "symmetric" if self.symmetric else "asymmetric"
            return f"per-axis({self.axis}) {self.channels}ch {sym}"
        return f"s={float(self.scale):.8g} zp={int(self.zero_point)}"


_ids = iter(range(1 << 62))


@dataclass(eq=False)
class Tensor:
    """A value in the graph: an activation, a model input/output or a constant.

    ``name`` is the original model's name and is kept for reports and per-layer validation; it
    never reaches generated C code unsanitised. Identity (not name) distinguishes tensors.
    """

    name: str
    shape: tuple[int, ...]
    dtype: DType
    quant: QuantParams | None = None
    data: np.ndarray | None = None
    uid: int = field(default_factory=lambda: next(_ids))

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def rank(self) -> int:
        return len(self.shape)

    def type_str(self) -> str:
        """E.g. ``int8[1,49,10,1]``."""
        return f"{self.dtype.value}[{','.join(str(d) for d in self.shape)}]"

    def __repr__(self) -> str:
        return f"Tensor({self.name!r}, {self.type_str()})"
