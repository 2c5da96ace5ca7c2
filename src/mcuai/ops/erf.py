"""ERF (ONNX Erf): the Gauss error function ``y = erf(x)`` element-wise.

Cost: one operation per element. No integer pattern exists in ONNX Runtime either: in quantized
models it runs in float32 between dequantize/quantize nodes (float fallback).
"""

from __future__ import annotations

from mcuai.ops._common import UnaryOp


class Erf(UnaryOp):
    name = "erf"
