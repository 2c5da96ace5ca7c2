"""IR: tensors, quantization parameters, the verifier and the printer (pure Python)."""

from __future__ import annotations

import numpy as np
import pytest

from mcuai.errors import GraphError
from mcuai.ir import DType, Graph, Node, QuantParams, Tensor
from mcuai.ir.printer import print_graph
from mcuai.ir.verify import verify
from mcuai.ops._common import ElementwiseAttrs
from mcuai.ops.conv2d import Conv2DAttrs


def _q(scale: float = 0.5, zp: int = 0) -> QuantParams:
    return QuantParams.per_tensor(scale, zp)


def _conv_graph() -> Graph:
    x = Tensor("x", (1, 5, 5, 2), DType.INT8, _q(0.5, -3))
    w = Tensor(
        "w",
        (4, 3, 3, 2),
        DType.INT8,
        QuantParams(np.full(4, 0.1), np.zeros(4), axis=0),
        data=np.ones((4, 3, 3, 2), np.int8),
    )
    b = Tensor("b", (4,), DType.INT32, data=np.zeros(4, np.int32))
    y = Tensor("y", (1, 5, 5, 4), DType.INT8, _q(0.25, 7))
    z = Tensor("z", (1, 5, 5, 4), DType.INT8, _q(0.25, 7))
    conv = Node("conv2d", [x, w, b], [y], Conv2DAttrs((1, 1), (1, 1), (1, 1, 1, 1)), "conv")
    add = Node("add", [y, y], [z], ElementwiseAttrs(), "add")
    return Graph("g", [conv, add], [x], [z])


def test_quant_params_shapes() -> None:
    q = QuantParams(np.array([0.1, 0.2]), np.array([0, 0]), axis=3)
    assert q.per_axis and q.channels == 2 and q.symmetric
    with pytest.raises(ValueError):
        QuantParams(np.array([0.1, 0.2]), np.array([0]), axis=0)
    with pytest.raises(ValueError):
        QuantParams(np.array([0.1, 0.2]), np.array([0, 0]))  # per-axis needs an axis
    assert _q(0.5, 3).same_as(_q(0.5, 3)) and not _q(0.5, 3).same_as(_q(0.5, 4))


def test_tensor_sizes() -> None:
    t = Tensor("t", (1, 49, 10, 1), DType.INT16)
    assert t.size == 490 and t.nbytes == 980 and t.type_str() == "int16[1,49,10,1]"


def test_verifier_accepts_valid_graph() -> None:
    verify(_conv_graph())


def test_verifier_rejects_read_before_write() -> None:
    g = _conv_graph()
    g.nodes.reverse()
    with pytest.raises(GraphError, match=r"node .add.*before it is written"):
        verify(g)


def test_verifier_rejects_double_write() -> None:
    g = _conv_graph()
    g.nodes[1].outputs = [g.nodes[0].output]
    with pytest.raises(GraphError, match="written twice"):
        verify(g)


def test_verifier_rejects_wrong_declared_shape() -> None:
    g = _conv_graph()
    g.nodes[0].output.shape = (1, 3, 3, 4)  # with padding 1 and a 3x3 kernel it must be 5x5
    with pytest.raises(GraphError, match=r"node 'conv'.*inferred shape \[1, 5, 5, 4\]"):
        verify(g)


def test_verifier_rejects_bad_per_axis_count() -> None:
    g = _conv_graph()
    w = g.nodes[0].input(1)
    w.quant = QuantParams(np.full(3, 0.1), np.zeros(3), axis=0)
    with pytest.raises(GraphError, match="3 per-axis scales"):
        verify(g)


def test_verifier_rejects_zero_point_out_of_range() -> None:
    g = _conv_graph()
    g.inputs[0].quant = _q(0.5, 200)
    with pytest.raises(GraphError, match="zero point"):
        verify(g)


def test_printer_is_stable_and_complete() -> None:
    text = print_graph(_conv_graph())
    assert text == print_graph(_conv_graph())  # new tensor objects, same text
    assert text.splitlines()[0] == "graph 'g'"
    assert "input %0 'x': int8[1,5,5,2] q(s=0.5 zp=-3)" in text
    assert "const %1 'w': int8[4,3,3,2] q(per-axis(0) 4ch symmetric)" in text
    assert "%3: int8[1,5,5,4] q(s=0.25 zp=7) = conv2d(%0, %1, %2)" in text
    assert "pads=(1,1,1,1)" in text and "# conv" in text
    assert text.rstrip().endswith("return %4")
