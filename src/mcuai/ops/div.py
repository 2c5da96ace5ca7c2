"""DIV: ``y = a / b`` element-wise with numpy broadcasting (float32; ONNX Div).

Cost: one operation per output element.
"""

from __future__ import annotations

from mcuai.ops._common import BinaryOp


class Div(BinaryOp):
    name = "div"
