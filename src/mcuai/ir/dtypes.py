"""Element types of IR tensors."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np


class DType(enum.Enum):
    """Element type of a tensor. The value is the short name used in reports and the printer."""

    INT8 = "int8"
    UINT8 = "uint8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    BOOL = "bool"

    @property
    def np(self) -> np.dtype[Any]:
        """The numpy dtype with the same memory layout."""
        return np.dtype(_NP[self])

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return int(self.np.itemsize)

    @property
    def is_float(self) -> bool:
        return self is DType.FLOAT32

    @property
    def is_integer(self) -> bool:
        return self in (DType.INT8, DType.UINT8, DType.INT16, DType.INT32, DType.INT64)

    @property
    def qmin(self) -> int:
        """Smallest representable integer (integer types only)."""
        return int(np.iinfo(_NP[self]).min)

    @property
    def qmax(self) -> int:
        """Largest representable integer (integer types only)."""
        return int(np.iinfo(_NP[self]).max)

    @classmethod
    def from_numpy(cls, dt: Any) -> DType:
        """Map a numpy dtype to a DType; raises KeyError for unsupported types."""
        return _FROM_NP[np.dtype(dt)]


_NP: dict[DType, str] = {
    DType.INT8: "int8",
    DType.UINT8: "uint8",
    DType.INT16: "int16",
    DType.INT32: "int32",
    DType.INT64: "int64",
    DType.FLOAT32: "float32",
    DType.BOOL: "bool",
}
_FROM_NP: dict[Any, DType] = {np.dtype(v): k for k, v in _NP.items()}
