"""Overlapping in place (``memory/overlap.py``, the ``*_inplace_s8`` kernels, the planner's ties):
the safe offset against a byte-level simulation of the kernels' documented order, plans with
ties, and generated code bit-exact with LiteRT's reference kernels when outputs overlap their
inputs (also at alignment 1, i.e. at exactly the smallest safe offset)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.opcheck import check_against_litert, litert_reference, litert_run, random_input
from helpers.window_graphs import WindowNet
from mcuai.api import analyze, generate, load_model, optimize
from mcuai.ir.node import Node
from mcuai.memory.liveness import plan_memory
from mcuai.memory.overlap import WINDOW_OPS, is_overlapping, overlap_offset
from mcuai.memory.planner import Buffer, check_plan, lower_bound, plan_arena
from mcuai.passes.pipeline import PIPELINE, run_pipeline
from mcuai.targets.host import HostModel, build
from mcuai.validate.run import validate_model

WITHOUT_IN_PLACE = [p for p in PIPELINE if p[0] != "in_place"]


def _window(node: Node) -> tuple[int, int, int, int, int, int, int, int]:
    a = node.attrs
    if node.op == "max_pool2d":
        (kh, kw), (dh, dw) = a.kernel, (1, 1)
    else:
        _, kh, kw, _ = node.input(1).shape
        dh, dw = a.dilation
    return kh, kw, a.stride[0], a.stride[1], dh, dw, a.pads[0], a.pads[2]


def safe_by_simulation(node: Node, d: int, backward: bool) -> bool:
    """Replay the documented kernel order on a byte map. Forward: input at ``d``, output at 0,
    pixels in increasing order; backward: input at 0, output at ``d``, pixels in decreasing
    order. No input byte may be read after an output write reached it; the kernel may read
    pixel q's window after writing part of pixel q, so a pixel's reads are checked against
    everything written up to the end of that pixel."""
    x, y = node.input(0), node.output
    n, h, w, ci = x.shape
    _, ho, wo, co = y.shape
    kh, kw, sh, sw, dh, dw, pt, pl = _window(node)
    pixels = [(b, oy, ox) for b in range(n) for oy in range(ho) for ox in range(wo)]
    for b, oy, ox in reversed(pixels) if backward else pixels:
        q = (b * ho + oy) * wo + ox
        # output bytes written so far: [0, (q+1)*co) forward, [d + q*co, d + all) backward
        for ky in range(kh):
            yy = oy * sh - pt + ky * dh
            for kx in range(kw):
                xx = ox * sw - pl + kx * dw
                if 0 <= yy < h and 0 <= xx < w:
                    start = ((b * h + yy) * w + xx) * ci
                    if backward and start + ci > d + q * co:
                        return False
                    if not backward and d + start < (q + 1) * co:
                        return False
    return True


def safe_in_pairs(node: Node, d: int, backward: bool) -> bool:
    """Like :func:`safe_by_simulation` for the two-pixel passes of the DSP path of
    ``mcu_conv2d_inplace_s8`` (1x1 windows): pixels in pairs in the walking order, both
    windows read before either pixel is written; a pair's reads are checked against every
    byte written by the earlier pairs."""
    x, y = node.input(0), node.output
    n, h, w, ci = x.shape
    _, ho, wo, co = y.shape
    kh, kw, sh, sw, dh, dw, pt, pl = _window(node)
    order = [q for q in range(n * ho * wo)]
    if backward:
        order.reverse()
    written_lo, written_hi = d + len(order) * co, 0  # backward: [lo, ...); forward: [0, hi)
    for i in range(0, len(order), 2):
        pair = order[i : i + 2]
        for q in pair:
            b, oy, ox = q // (ho * wo), (q // wo) % ho, q % wo
            for ky in range(kh):
                yy = oy * sh - pt + ky * dh
                for kx in range(kw):
                    xx = ox * sw - pl + kx * dw
                    if 0 <= yy < h and 0 <= xx < w:
                        start = ((b * h + yy) * w + xx) * ci
                        if backward and start + ci > written_lo:
                            return False
                        if not backward and d + start < written_hi:
                            return False
        written_lo = min(written_lo, d + min(pair) * co)
        written_hi = max(written_hi, (max(pair) + 1) * co)
    return True


def smallest_safe(node: Node, backward: bool) -> int:
    lo, hi = 0, node.input(0).nbytes + node.output.nbytes
    assert safe_by_simulation(node, hi, backward)
    while lo < hi:  # safety is monotone in d
        mid = (lo + hi) // 2
        if safe_by_simulation(node, mid, backward):
            hi = mid
        else:
            lo = mid + 1
    return lo


def geometry_model() -> bytes:
    g = WindowNet(21)
    x = g.input([2, 9, 7, 3])
    a = g.conv(x, 8, k=(3, 3), stride=(2, 2), same=True)  # expanding, stride 2, SAME
    b = g.dw(a, same=True)  # stride 1, pad 1
    c = g.conv(b, 24, k=(1, 1))  # 1x1 expand
    e = g.conv(c, 5, k=(1, 1))  # 1x1 contract
    f = g.pool("MAX_POOL_2D", e, k=(3, 3), stride=(2, 2), same=True)
    p = g.pad(c, (3, 0, 0, 3))  # padding larger than the 2x2 window: empty windows
    i = g.dw(p, k=(2, 2))
    j = g.conv(x, 6, k=(5, 3), stride=(1, 2))  # VALID, rectangular
    return g.build([x], [g.mean_hw(f), g.mean_hw(i), g.mean_hw(j)])


def test_offset_matches_byte_simulation(tmp_path: Path) -> None:
    path = tmp_path / "geo.tflite"
    path.write_bytes(geometry_model())
    nodes = [n for n in optimize(load_model(path)).nodes if n.op in WINDOW_OPS]
    assert len(nodes) == 7
    for n in nodes:
        assert overlap_offset(n, False) == smallest_safe(n, False), n
        assert overlap_offset(n, True) == smallest_safe(n, True), n
        # the two-pixel passes (1x1 convolutions on DSP cores) are safe at the same offsets:
        # a pixel's own window counts in the bound, and both windows are read first
        assert safe_in_pairs(n, overlap_offset(n, False), False), n
        assert safe_in_pairs(n, overlap_offset(n, True), True), n
    # the simulation can fail: the 1x1 expanding convolution 8 -> 24 channels with its
    # output at its input's address, walked forward, writes pixel q over input pixels
    # 3q .. 3q + 2 before they are read
    c = next(n for n in nodes if n.op == "conv2d" and n.output.shape[-1] == 24)
    assert not safe_in_pairs(c, 0, False) and overlap_offset(c, False) > 0


Ties = list[tuple[int, int, int]]


def _chain_ties(rng: np.random.Generator, k: int) -> tuple[list[Buffer], Ties]:
    """A chain of k buffers (step i -> i+1), each tied to the next with a random aligned
    offset, plus unrelated buffers around them."""
    bufs, ties = [], []
    for i in range(k):
        bufs.append(Buffer(i, int(rng.integers(1, 400)), i, i + 1))
        if i:
            ties.append((i - 1, i, 16 * int(rng.integers(0, 30))))
    for j in range(k, k + 12):
        f = int(rng.integers(0, k))
        bufs.append(Buffer(j, int(rng.integers(1, 300)), f, f + int(rng.integers(0, 3))))
    return bufs, ties


@pytest.mark.parametrize("seed", range(6))
def test_plans_with_ties_are_valid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bufs, ties = _chain_ties(rng, 6)
    plan = plan_arena(bufs, 16, ties)
    check_plan(bufs, plan)  # ties d apart, nothing else overlaps
    for a, b, d in ties:
        assert plan.offsets[a] - plan.offsets[b] == d
    # lower bound: bytes covered at each step, rigid tied pairs counted once (byte map)
    by_id = {b.id: b for b in bufs}
    worst = 0
    for step in range(8):
        live = [b for b in bufs if b.first <= step <= b.last]
        total = sum(b.size for b in live)
        for a, b, d in ties:
            if by_id[a] in live and by_id[b] in live:
                cover = np.zeros(2000, dtype=bool)
                cover[d + 500 : d + 500 + by_id[a].size] = True
                cover[500 : 500 + by_id[b].size] = True
                total -= by_id[a].size + by_id[b].size - int(cover.sum())
        worst = max(worst, total)
    assert lower_bound(bufs, ties) == plan.lower_bound == worst <= plan.arena_size


def chain_model() -> bytes:
    """conv 3x3/2 (3 -> 16 ch) -> dw 3x3 -> conv 1x1 (16 -> 48) -> max pool 3x3/2 SAME ->
    dw 3x3/2 -> mean: each layer's peak is its input plus its output."""
    g = WindowNet(22)
    x = g.input([1, 20, 20, 3])
    a = g.conv(x, 16, stride=(2, 2), same=True)
    b = g.dw(a, same=True)
    c = g.conv(b, 48, k=(1, 1), q=(0.1, -128), relu=True)
    m = g.pool("MAX_POOL_2D", c, same=True)
    e = g.dw(m, stride=(2, 2), same=True)
    return g.build([x], [g.mean_hw(e)])


def _overlapping(path: Path) -> list[str]:
    return [n.op for n in optimize(load_model(path)).nodes if is_overlapping(n)]


def test_chain_runs_in_place_and_is_exact(tmp_path: Path, require_cc: str) -> None:
    path = tmp_path / "chain.tflite"
    path.write_bytes(chain_model())
    assert "conv2d" in _overlapping(path)
    a = analyze(path)
    kernels = [k for la in a.layers for k in la.kernels]
    assert "mcu_conv2d_inplace_s8" in kernels
    without = plan_memory(run_pipeline(load_model(path), WITHOUT_IN_PLACE)).plan.lower_bound
    assert a.arena_bytes < without
    check_against_litert(chain_model(), tmp_path, n=6, name="chain")


@pytest.mark.ref
def test_chain_every_layer_exact(tmp_path: Path, require_cc: str) -> None:
    """Per layer (observer right after each layer) against LiteRT: what an overlapping layer
    overwrote was dead."""
    path = tmp_path / "chain.tflite"
    path.write_bytes(chain_model())
    rep = validate_model(path, batches=3, seed=5, per_layer=True, progress=False)
    assert rep.layers is not None and rep.first_divergence is None
    for row in rep.layers:
        assert row.metrics.bit_exact == 1.0, row


def every_window_in_place() -> bytes:
    """Each window op's output is much larger or smaller than its input, so each is a peak."""
    g = WindowNet(23)
    x = g.input([1, 12, 10, 2])
    a = g.conv(x, 32, k=(3, 3), stride=(1, 1), same=True)  # 240 -> 3840 B
    m = g.pool("MAX_POOL_2D", a, k=(2, 2), stride=(2, 2))  # -> 960 B
    b = g.conv(m, 2, k=(1, 1))  # -> 60 B
    c = g.dw(g.conv(b, 64, k=(1, 1)), stride=(2, 2), same=True)  # 1920 -> 576 B
    return g.build([x], [g.mean_hw(c)])


def test_alignment_one_uses_the_smallest_offset(tmp_path: Path, require_cc: str) -> None:
    """With --alignment 1 tied buffers sit exactly the smallest safe offset apart (no rounding
    slack): the generated code must still match LiteRT."""
    model = every_window_in_place()
    path = tmp_path / "w.tflite"
    path.write_bytes(model)
    graph = optimize(load_model(path))
    assert {n.op for n in graph.nodes if is_overlapping(n)} >= {"conv2d", "max_pool2d"}
    layout = plan_memory(graph, alignment=1)
    assert layout.ties and any(d % 16 for _, _, d in layout.ties)
    code = generate(path, name="w", alignment=1)
    assert "inplace_s8(" in code.files["w.c"]
    host = HostModel(code, build(code))
    it = litert_reference(path)
    rng = np.random.default_rng(3)
    d = it.get_input_details()[0]
    for _ in range(6):
        xs = [random_input(tuple(d["shape"]), d["dtype"], rng)]
        got, _ = host.run(xs)
        ref = litert_run(it, xs)
        assert np.array_equal(got[0], ref[0])


def zigzag_chain() -> bytes:
    """Like kws: depthwise 3x3 and 1x1 convolutions of equal size in a chain, every layer a
    peak; forward-only overlaps would drift down, alternating directions do not."""
    g = WindowNet(25)
    x = g.input([1, 9, 5, 16])
    t = x
    for _ in range(3):
        t = g.conv(g.dw(t, same=True), 16, k=(1, 1))
    return g.build([x], [g.mean_hw(t)])


@pytest.mark.parametrize("alignment", [1, 16])
def test_zigzag_chain(alignment: int, tmp_path: Path, require_cc: str) -> None:
    path = tmp_path / "z.tflite"
    path.write_bytes(zigzag_chain())
    graph = optimize(load_model(path))
    layers = [n for n in graph.nodes if is_overlapping(n)]
    assert len(layers) >= 5
    assert {n.backward for n in layers} == {False, True}
    layout = plan_memory(graph, alignment=alignment)
    drift = sum(overlap_offset(n) for n in layers)
    assert layout.plan.lower_bound <= layout.plan.arena_size < 720 + drift
    code = generate(path, name="z", alignment=alignment)
    host = HostModel(code, build(code))
    it = litert_reference(path)
    rng = np.random.default_rng(alignment)
    d = it.get_input_details()[0]
    for _ in range(5):
        xs = [random_input(tuple(d["shape"]), d["dtype"], rng)]
        got, _ = host.run(xs)
        assert np.array_equal(got[0], litert_run(it, xs)[0])


def dilated_model() -> bytes:
    """conv 1x1 8 -> 30 ch, then dilated depthwise convolutions (SAME and VALID, the peaks;
    30 channels: groups of four and a tail of two in the kernel)."""
    g = WindowNet(28)
    x = g.input([1, 10, 9, 8])
    c = g.conv(x, 30, k=(1, 1))
    d = g.dw(g.dw(c, same=True, dilation=2), dilation=2, stride=(2, 1))
    return g.build([x], [g.mean_hw(g.conv(d, 8, k=(1, 1)))])


def test_dilated_depthwise_in_place(tmp_path: Path, require_cc: str) -> None:
    path = tmp_path / "dil.tflite"
    path.write_bytes(dilated_model())
    nodes = optimize(load_model(path)).nodes
    assert any(n.op == "depthwise_conv2d" and is_overlapping(n) for n in nodes)
    for n in nodes:
        if n.op == "depthwise_conv2d":
            assert n.attrs.dilation == (2, 2)
            assert overlap_offset(n, False) == smallest_safe(n, False)
            assert overlap_offset(n, True) == smallest_safe(n, True)
    check_against_litert(dilated_model(), tmp_path, n=5, name="dil")


def float_input_model() -> bytes:
    """float input -> QUANTIZE (the peak: float 1,920 B + int8 480 B) -> conv 1x1 -> mean."""
    g = WindowNet(24)
    x = g.float_input([1, 10, 12, 4])
    q = g.quantize(x, (0.02, 3))
    c = g.conv(q, 4, k=(1, 1))
    return g.build([x], [g.mean_hw(c)])


def test_float_input_quantize_in_place(tmp_path: Path, require_cc: str) -> None:
    path = tmp_path / "fq.tflite"
    path.write_bytes(float_input_model())
    assert _overlapping(path)[:1] == ["quantize"]
    a = analyze(path)
    assert a.layers[0].in_place and a.layers[0].kernels == ["mcu_quantize_f32_s8"]
    assert a.lower_bound_bytes < 1920 + 480
    check_against_litert(float_input_model(), tmp_path, n=5, name="fq")
    # with the input outside the arena nothing is written over the application's buffer
    out = analyze(path, inputs_in_arena=False)
    assert not out.layers[0].in_place


@pytest.mark.corpus
@pytest.mark.parametrize(
    "rel",
    [
        "stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite",
        "tinyengine_mit/mcunet_vww.tflite",
    ],
)
def test_corpus_overlaps_are_valid_plans(rel: str) -> None:
    from conftest import corpus_model

    graph = optimize(load_model(corpus_model(rel)))
    assert any(is_overlapping(n) for n in graph.nodes)
    layout = plan_memory(graph)
    assert layout.ties
    check_plan(layout.buffers, layout.plan)


def concat_model(axis: int, reuse: bool = False) -> bytes:
    """Two 1x1 convolutions of x (same output quantization) concatenated along ``axis``, then
    a 1x1 convolution and a mean; with ``reuse`` the first branch is read again later."""
    from helpers.tflite_builder import options

    g = WindowNet(26)
    x = g.input([1, 4, 4, 8])
    a = g.conv(x, 8, k=(1, 1), q=(0.09, 1))
    b = g.conv(x, 8, k=(1, 1), q=(0.09, 1))
    shape = list(g.shapes[a])
    shape[axis] *= 2
    y = g._t(shape, (0.09, 1))
    g.b.op("CONCATENATION", [a, b], [y], options("ConcatenationOptionsT", axis=axis))
    c = g.conv(y, 4, k=(1, 1))
    outs = [g.mean_hw(c)] + ([g.mean_hw(a, q=(0.03, 0))] if reuse else [])
    return g.build([x], outs)


def test_concat_by_slices(tmp_path: Path, require_cc: str) -> None:
    """Along H (only the batch of 1 before it) each branch is one contiguous block of the
    output: the convolutions write into it and the concat emits no code."""
    path = tmp_path / "cat.tflite"
    path.write_bytes(concat_model(1))
    graph = optimize(load_model(path))
    cat = next(n for n in graph.nodes if n.op == "concat")
    assert cat.alias == 0
    layout = plan_memory(graph)
    y, (a, b) = cat.output, cat.inputs
    assert a is not None and b is not None
    base = layout.offset_of(y)
    assert layout.offset_of(a) == base and layout.offset_of(b) == base + a.nbytes
    code = generate(path, name="cat")
    assert "mcu_copy(" not in code.files["cat.c"]
    assert "concat" in [la["op"] for la in code.layers]
    check_against_litert(concat_model(1), tmp_path, n=5, name="cat")
    rep = validate_model(path, batches=2, seed=1, per_layer=True, progress=False)
    assert rep.layers is not None and rep.first_divergence is None
    assert all(row.metrics.bit_exact == 1.0 for row in rep.layers)


@pytest.mark.parametrize(("axis", "reuse"), [(3, False), (1, True)])
def test_concat_copies_when_slices_cannot_be_shared(
    axis: int, reuse: bool, tmp_path: Path, require_cc: str
) -> None:
    """Along C the slices interleave; a branch read after the concat must keep its own
    storage: the concat copies."""
    model = concat_model(axis, reuse)
    path = tmp_path / "cc.tflite"
    path.write_bytes(model)
    cat = next(n for n in optimize(load_model(path)).nodes if n.op == "concat")
    assert cat.alias is None
    assert "mcu_copy(" in generate(path, name="cc").files["cc.c"]
    check_against_litert(model, tmp_path, n=3, name="cc")


def split_model(axis: int) -> bytes:
    """conv 1x1 -> SPLIT in two along ``axis`` -> a 1x1 convolution on each half -> ADD ->
    mean."""
    import numpy as np

    from helpers.tflite_builder import options

    g = WindowNet(27)
    x = g.input([1, 8, 4, 8])
    c = g.conv(x, 8, k=(1, 1), q=(0.07, -2))
    half = list(g.shapes[c])
    half[axis] //= 2
    ax = g.b.const("split_axis", np.array(axis, dtype=np.int32))
    y0, y1 = g._t(half, (0.07, -2)), g._t(half, (0.07, -2))
    g.b.op("SPLIT", [ax, c], [y0, y1], options("SplitOptionsT", numSplits=2))
    s = g.binary("ADD", g.conv(y0, 8, k=(1, 1)), g.conv(y1, 8, k=(1, 1)))
    return g.build([x], [g.mean_hw(s)])


@pytest.mark.parametrize(("axis", "view"), [(1, True), (3, False)])
def test_split_views(axis: int, view: bool, tmp_path: Path, require_cc: str) -> None:
    """Along H each half is a contiguous block of the input: the halves are views (no code);
    along C they interleave and are copied."""
    model = split_model(axis)
    path = tmp_path / "sp.tflite"
    path.write_bytes(model)
    graph = optimize(load_model(path))
    sp = next(n for n in graph.nodes if n.op == "split")
    assert (sp.alias is not None) == view
    if view:
        layout = plan_memory(graph)
        x, (y0, y1) = sp.input(0), sp.outputs
        assert layout.offset_of(y0) == layout.offset_of(x)
        assert layout.offset_of(y1) == layout.offset_of(x) + y0.nbytes
    assert ("mcu_copy(" in generate(path, name="sp").files["sp.c"]) != view
    check_against_litert(model, tmp_path, n=4, name="sp")
    rep = validate_model(path, batches=2, seed=2, per_layer=True, progress=False)
    assert rep.layers is not None and rep.first_divergence is None
    assert all(row.metrics.bit_exact == 1.0 for row in rep.layers)


def test_ties_inside_memory_pools(tmp_path: Path, require_cc: str) -> None:
    """With memory pools tied buffers go to one pool together: a pool just the size of the
    single tied arena, too small without the overlaps, holds the model; the code gives the
    single arena's outputs (which match LiteRT, test_chain_runs_in_place_and_is_exact)."""
    from mcuai.memory.pools import Pool
    from test_pools import pools_vs_arena

    path = tmp_path / "chain.tflite"
    path.write_bytes(chain_model())
    graph = optimize(load_model(path))
    size = analyze(path).arena_bytes
    without = plan_memory(run_pipeline(load_model(path), WITHOUT_IN_PLACE)).plan.lower_bound
    assert size < without
    pools = [Pool("dtcm", 256, fast=True), Pool("sram", size)]
    layout = plan_memory(graph, pools=pools)
    assert layout.ties and layout.pool_plan is not None
    for k, p in enumerate(layout.pool_plan.plans):
        check_plan([b for b in layout.buffers if layout.pool_of(b.id) == k], p)
    pools_vs_arena(path, pools, tmp_path)


def odd_channels_model() -> bytes:
    """conv 3x3 3 -> 33 channels (the peak, in place: an odd channel count for the two-channel
    DSP loop, 27 taps: a tail of 3 after the groups of four), dw, conv 1x1 33 -> 7."""
    g = WindowNet(29)
    x = g.input([1, 12, 11, 3])
    c = g.conv(x, 33, same=True)
    d = g.dw(c, stride=(2, 2), same=True)
    return g.build([x], [g.mean_hw(g.conv(d, 7, k=(1, 1)))])


@pytest.mark.qemu
@pytest.mark.parametrize(
    "make", [chain_model, zigzag_chain, dilated_model, odd_channels_model, every_window_in_place]
)
def test_in_place_kernels_on_cortex_m4(make: object, tmp_path: Path, require_cc: str) -> None:
    """The DSP paths (Cortex-M4) give the host's outputs, which match LiteRT (tests above)."""
    from mcuai.targets.cortexm import run_elf
    from mcuai.targets.cortexm.build import build_elf
    from mcuai.targets.cortexm.toolchain import ToolchainError, find_toolchain

    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))
    assert callable(make)
    model = make()
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    code = generate(path, name="m")
    assert "inplace_s8(" in code.files["m.c"]
    host = HostModel(code, build(code))
    elf = build_elf(code, "cortex-m4")
    rng = np.random.default_rng(9)
    d = code.inputs[0].tensor
    for _ in range(2):
        xs = [rng.integers(-128, 128, d.shape).astype(d.dtype.np)]
        want, _ = host.run(xs)
        got = run_elf(elf, "cortex-m4", xs, runs=1).outputs
        assert np.array_equal(want[0], got[0])
    check_against_litert(model, tmp_path, n=3, name="m")


def fast_paths_model() -> bytes:
    """The DSP paths' corner cases, every layer a peak of a zigzag chain: depthwise 3x3 on 20
    channels (5 groups of 4), on 19 (4 groups + 3 scalar channels); 1x1 convolutions 20 -> 19
    (Cin % 4 == 0: SXTAB16 gather; 19 rows: 4 passes of 4 + a pair + one) and a 3x3
    convolution 19 -> 23 (171 taps: tail of 3; the window pushed value by value; 5 passes of
    4 rows, a pair and a last row); borders on both sides of each row."""
    g = WindowNet(33)
    x = g.input([1, 9, 7, 20])
    t = g.conv(g.dw(x, same=True), 19, k=(1, 1))
    t = g.conv(g.dw(t, same=True), 23, same=True)
    return g.build([x], [g.conv(t, 4, k=(1, 1))])  # every pixel compared, no averaging


def first_layer_model() -> bytes:
    """Like kws's first layers: a 5x4 / 2 SAME convolution on one input channel (window rows
    of 4 bytes: the column words built row by row, rows clipped at the left and right edges
    and rows above and below the image), a depthwise 3x3, a 1x1 convolution, all in place;
    every pixel of the output (one channel of a last 1x1 convolution) compared."""
    g = WindowNet(37)
    x = g.input([1, 31, 9, 1])
    t = g.conv(x, 24, k=(5, 4), stride=(2, 2), same=True)
    t = g.conv(g.dw(t, same=True), 24, k=(1, 1))
    return g.build([x], [g.conv(t, 1, k=(1, 1))])


def narrow_model() -> bytes:
    """An image one pixel wide: a 3x2 convolution 6 -> 24 channels (rows of 12 bytes clipped
    to their first pixel), a depthwise 3x3 whose windows keep one column (3x1 and 2x1 tap
    blocks: the row-by-row asm), a 1x1 convolution, all in place."""
    g = WindowNet(39)
    x = g.input([1, 30, 1, 6])
    t = g.conv(x, 24, k=(3, 2), same=True)
    t = g.conv(g.dw(t, same=True), 24, k=(1, 1))
    return g.build([x], [g.conv(t, 1, k=(1, 1))])


def pool_model() -> bytes:
    """Max pooling 3x3 / 2 SAME in place on 22 channels (5 words of 4 + 2 bytes, clipped
    windows at the borders), after an expanding 1x1 convolution, before a contracting one."""
    g = WindowNet(35)
    x = g.input([1, 11, 9, 3])
    a = g.conv(x, 22, k=(1, 1))
    m = g.pool("MAX_POOL_2D", a, k=(3, 3), stride=(2, 2), same=True)
    return g.build([x], [g.conv(m, 3, k=(1, 1))])


@pytest.mark.qemu
@pytest.mark.parametrize(
    ("make", "ops"),
    [
        (fast_paths_model, {"conv2d", "depthwise_conv2d"}),
        (zigzag_chain, {"conv2d", "depthwise_conv2d"}),
        (pool_model, {"max_pool2d"}),
        (first_layer_model, {"conv2d", "depthwise_conv2d"}),
        (narrow_model, {"conv2d", "depthwise_conv2d"}),
    ],
)
def test_fast_in_place_paths_dsp_portable_litert(
    make: object, ops: set[str], tmp_path: Path, require_cc: str
) -> None:
    """Cortex-M4 with the DSP paths == Cortex-M4 with -DMCU_PORTABLE == host == LiteRT, with
    in-place layers walked forward and backward."""
    from mcuai.targets.cortexm import run_elf
    from mcuai.targets.cortexm.build import build_elf
    from mcuai.targets.cortexm.toolchain import ToolchainError, find_toolchain

    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))
    assert callable(make)
    model = make()
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    nodes = [n for n in optimize(load_model(path)).nodes if is_overlapping(n)]
    assert {n.op for n in nodes} >= ops
    if len(nodes) > 1:
        assert any(n.backward for n in nodes) and not all(n.backward for n in nodes)
    code = generate(path, name="m")
    host = HostModel(code, build(code))
    dsp = build_elf(code, "cortex-m4")
    portable = build_elf(code, "cortex-m4", extra_cflags=["-DMCU_PORTABLE"])
    rng = np.random.default_rng(4)
    d = code.inputs[0].tensor
    xs = [rng.integers(-128, 128, d.shape).astype(d.dtype.np)]
    want, _ = host.run(xs)
    for elf in (dsp, portable):
        got = run_elf(elf, "cortex-m4", xs, runs=1).outputs
        assert np.array_equal(want[0], got[0])
    check_against_litert(model, tmp_path, n=3, name="m")
