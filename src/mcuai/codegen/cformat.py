"""Exact, deterministic C literals for integers, floats and whole arrays."""

from __future__ import annotations

import math

import numpy as np

_INT_MIN = {"int32_t": -(1 << 31), "int64_t": -(1 << 63)}
_SUFFIX = {"int64_t": "LL"}


def c_int(v: int, ctype: str = "int32_t") -> str:
    if ctype in _INT_MIN and v == _INT_MIN[ctype]:
        return f"({v + 1}{_SUFFIX.get(ctype, '')} - 1)"
    return f"{v}{_SUFFIX.get(ctype, '')}"


def c_float(v: float) -> str:
    """A float32 literal that parses back to exactly ``float32(v)`` (shortest round-trip form);
    infinities become the largest finite float (kernels clamp with it)."""
    f = np.float32(v)
    if math.isinf(f):
        return "3.40282347e+38f" if f > 0 else "-3.40282347e+38f"
    if math.isnan(f):
        raise ValueError("NaN constant")
    s = np.format_float_scientific(f, unique=True, trim="-", exp_digits=1)
    if "." not in s.split("e")[0]:
        s = s.replace("e", ".e", 1) if "e" in s else s + "."
    return s + "f"


def c_array_body(data: np.ndarray, ctype: str, per_line: int = 24) -> str:
    """Comma-separated elements, ``per_line`` per line, indented by 4 spaces."""
    flat = data.reshape(-1)
    if ctype == "float":
        items = [c_float(float(v)) for v in flat]
        per_line = 8
    elif flat.dtype.itemsize == 1:
        table = np.array([str(i) for i in range(-128, 256)])
        items = table[flat.astype(np.int64) + 128].tolist()
    else:
        items = [c_int(int(v), ctype) for v in flat.tolist()]
        per_line = 12
    lines = ["    " + ", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n".join(lines)
