"""Passes: activation clamps, views, dead code, constant folding (pure Python)."""

from __future__ import annotations

import numpy as np

from mcuai.ir import DType, Graph, Node, QuantParams, Tensor
from mcuai.ir.verify import verify
from mcuai.ops._common import Activation, Clamp, ElementwiseAttrs
from mcuai.ops.reshape import ReshapeAttrs
from mcuai.passes import alias_views, dead_code, fold_constants, fuse_activations
from mcuai.passes.pipeline import run_pipeline


def _add_graph(act: Activation, scale: float, zp: int, dtype: DType = DType.INT8) -> Graph:
    q = QuantParams.per_tensor(scale, zp)
    a = Tensor("a", (1, 4), dtype, q)
    b = Tensor("b", (1, 4), dtype, q)
    y = Tensor("y", (1, 4), dtype, q)
    return Graph("g", [Node("add", [a, b], [y], ElementwiseAttrs(act), "add")], [a, b], [y])


def test_relu6_clamp_matches_hand_computation() -> None:
    # scale 0.05, zp -128: 0.0 -> -128, 6.0 -> -128 + 120 = -8
    g = fuse_activations.run(_add_graph(Activation.RELU6, 0.05, -128))
    assert g.nodes[0].attrs.clamp == Clamp(-128.0, -8.0)


def test_relu6_clamp_saturates_at_type_limits() -> None:
    # scale 0.01, zp 0: 6.0 -> 600 > 127, so the upper bound is qmax
    g = fuse_activations.run(_add_graph(Activation.RELU6, 0.01, 0))
    assert g.nodes[0].attrs.clamp == Clamp(0.0, 127.0)


def test_relu_n1_to_1_rounds_half_away_from_zero() -> None:
    # 1 / 0.4 = 2.5 -> 3 (away from zero), -2.5 -> -3; zp 10
    g = fuse_activations.run(_add_graph(Activation.RELU_N1_TO_1, 0.4, 10))
    assert g.nodes[0].attrs.clamp == Clamp(7.0, 13.0)


def test_no_activation_is_full_range_int16() -> None:
    g = fuse_activations.run(_add_graph(Activation.NONE, 0.001, 0, DType.INT16))
    assert g.nodes[0].attrs.clamp == Clamp(-32768.0, 32767.0)


def test_float_relu_clamp_is_real_range() -> None:
    a = Tensor("a", (4,), DType.FLOAT32)
    y = Tensor("y", (4,), DType.FLOAT32)
    g = Graph("g", [Node("add", [a, a], [y], ElementwiseAttrs(Activation.RELU), "n")], [a], [y])
    fuse_activations.run(g)
    assert g.nodes[0].attrs.clamp == Clamp(0.0, float("inf"))


def test_reshape_becomes_view_and_dead_nodes_go() -> None:
    x = Tensor("x", (1, 2, 3), DType.FLOAT32)
    r = Tensor("r", (6,), DType.FLOAT32)
    dead = Tensor("dead", (6,), DType.FLOAT32)
    n1 = Node("reshape", [x], [r], ReshapeAttrs((6,)), "r")
    n2 = Node("logistic", [r], [dead], None, "unused")
    g = run_pipeline(Graph("g", [n1, n2], [x], [r]))
    assert [n.origin for n in g.nodes] == ["r"]
    assert g.nodes[0].alias == 0


def test_fold_dequantize_of_constant_weights_per_axis() -> None:
    q = QuantParams(np.array([0.5, 2.0]), np.array([1, -1]), axis=1)
    w = Tensor("w", (3, 2), DType.INT8, q, data=np.array([[1, 0], [3, 1], [-1, -1]], np.int8))
    wf = Tensor("wf", (3, 2), DType.FLOAT32)
    x = Tensor("x", (3, 2), DType.FLOAT32)
    y = Tensor("y", (3, 2), DType.FLOAT32)
    g = Graph(
        "g",
        [
            Node("dequantize", [w], [wf], None, "dq"),
            Node("mul", [x, wf], [y], ElementwiseAttrs(), "m"),
        ],
        [x],
        [y],
    )
    g = dead_code.run(alias_views.run(fold_constants.run(g)))
    verify(g)
    assert [n.op for n in g.nodes] == ["mul"]
    expected = np.array([[0.0, 2.0], [1.0, 4.0], [-1.0, 0.0]], np.float32)
    np.testing.assert_array_equal(g.nodes[0].input(1).data, expected)
