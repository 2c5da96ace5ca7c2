"""``passes/fuse_pad.py``: a PAD folded into the convolution / depthwise convolution / max
pooling reading it only where the integers stay the same. Expected values: LiteRT's reference
kernels on the unfused model (PAD then the consumer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.opcheck import check_against_litert
from helpers.window_graphs import WindowNet
from mcuai.api import analyze, load_model, optimize
from mcuai.ir.graph import Graph
from mcuai.ops.pad import PaddedPool2DAttrs


def optimized(model: bytes, tmp_path: Path, name: str) -> tuple[Path, Graph]:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    return path, optimize(load_model(path))


def pad_conv() -> bytes:
    """PAD (1, 2, 0, 3) then a VALID 3x3 stride-2 convolution; the input zero point is not 0."""
    g = WindowNet(11)
    x = g.input([1, 9, 7, 5], q=(0.05, -3))
    p = g.pad(x, (1, 2, 0, 3))
    y = g.conv(p, 6, stride=(2, 2))
    return g.build([x], [y])


def pad_dw_large() -> bytes:
    """PAD (3, 0, 0, 3) then a VALID 2x2 depthwise convolution: the padding exceeds the window,
    so some windows lie wholly in the padding; then a SAME 3x3 depthwise convolution behind an
    asymmetric PAD (0, 1, 2, 0), whose pads add to its own."""
    g = WindowNet(12)
    x = g.input([1, 5, 6, 4], q=(0.04, 7))
    d = g.dw(g.pad(x, (3, 0, 0, 3)), k=(2, 2))
    e = g.dw(g.pad(d, (0, 1, 2, 0)), same=True, stride=(2, 1), q=(0.05, 3))
    return g.build([x], [e])


def pad_maxpool(relu: bool, fill_lowest: bool) -> bytes:
    """conv (zero point -128 with ReLU: every value >= the pad value) -> PAD -> VALID max pool;
    without ReLU the pad value (the zero point) can win a maximum."""
    g = WindowNet(13)
    x = g.input([1, 8, 9, 3], q=(0.05, 1))
    c = g.conv(x, 4, k=(1, 1), q=(0.1, -128 if fill_lowest else 5), relu=relu)
    m = g.pool("MAX_POOL_2D", g.pad(c, (1, 1, 1, 1)), k=(3, 3), stride=(2, 2))
    return g.build([x], [m])


def test_pad_folds_into_conv(tmp_path: Path, require_cc: str) -> None:
    _, graph = optimized(pad_conv(), tmp_path, "pc")
    assert [n.op for n in graph.nodes] == ["conv2d"]
    assert graph.nodes[0].attrs.pads == (1, 2, 0, 3)
    check_against_litert(pad_conv(), tmp_path, n=5, name="pc")


def test_pad_larger_than_window_and_asymmetric(tmp_path: Path, require_cc: str) -> None:
    _, graph = optimized(pad_dw_large(), tmp_path, "pd")
    assert [n.op for n in graph.nodes] == ["depthwise_conv2d", "depthwise_conv2d"]
    assert graph.nodes[0].attrs.pads == (3, 0, 0, 3)
    own = graph.nodes[1].attrs.pads
    assert own[0] >= 0 and own[2] >= 2  # SAME padding plus the PAD's
    check_against_litert(pad_dw_large(), tmp_path, n=5, name="pd")


@pytest.mark.parametrize(
    ("relu", "lowest", "padded_attrs"),
    [(True, True, False), (True, False, False), (False, True, False), (False, False, True)],
)
def test_pad_folds_into_max_pool(
    relu: bool, lowest: bool, padded_attrs: bool, tmp_path: Path, require_cc: str
) -> None:
    """The pad value (the zero point) never wins when it is -128 or the conv's ReLU clamps at
    it: the pads just add. Otherwise the pooling keeps PAD's semantics (window positions
    outside the image hold the pad value)."""
    model = pad_maxpool(relu, lowest)
    _, graph = optimized(model, tmp_path, "pm")
    assert [n.op for n in graph.nodes] == ["conv2d", "max_pool2d"]
    pool = graph.nodes[1]
    assert isinstance(pool.attrs, PaddedPool2DAttrs) == padded_attrs
    assert pool.attrs.pads == (1, 1, 1, 1)
    check_against_litert(model, tmp_path, n=6, name="pm")


def test_avg_pool_and_shared_pad_are_not_fused(tmp_path: Path, require_cc: str) -> None:
    """AVERAGE_POOL_2D divides by the in-image count: a PAD before it stays. A PAD also read by
    an ADD stays. A PAD whose output quantization differs from its input's stays."""
    g = WindowNet(14)
    x = g.input([1, 6, 6, 4], q=(0.05, 2))
    p = g.pad(x, (1, 1, 1, 1))
    a = g.pool("AVERAGE_POOL_2D", p, k=(3, 3), stride=(1, 1))
    q = g.pad(x, (1, 1, 1, 1))
    c = g.conv(q, 4, k=(1, 1))
    s = g.binary("ADD", q, c)
    r = g.pad(x, (0, 2, 0, 2), q=(0.05, 3))
    d = g.dw(r)
    model = g.build([x], [a, g.mean_hw(s), g.mean_hw(d)])
    _, graph = optimized(model, tmp_path, "nf")
    assert [n.op for n in graph.nodes].count("pad") == 3
    check_against_litert(model, tmp_path, n=4, name="nf")


@pytest.mark.corpus
def test_corpus_pads_fused(tmp_path: Path) -> None:
    """miniresnetv2: the input PAD goes into the 7x7 convolution, the PAD before the max pool
    (pad value = zero point, no ReLU before it) into the pooling with its fill value, the PADs
    before the 3x3 convolutions into them."""
    from conftest import corpus_model

    path = corpus_model("stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite")
    graph = optimize(load_model(path))
    assert "pad" not in [n.op for n in graph.nodes]
    pools = [n for n in graph.nodes if n.op == "max_pool2d"]
    assert isinstance(pools[0].attrs, PaddedPool2DAttrs)
    assert "mcu_maxpool2d_inplace_s8" in [k for la in analyze(path).layers for k in la.kernels]
