"""In-place execution of element-wise ops and activations (``passes/in_place.py``): which
nodes get an alias, that the planner gives them one buffer, that the generated C passes one
pointer twice and stays bit-exact with LiteRT's reference kernels, per layer too."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLE, corpus_model
from helpers.opcheck import check_against_litert, litert_reference, litert_run
from helpers.small_graphs import Net
from mcuai.api import analyze, generate, load_model, optimize
from mcuai.ir.node import Node
from mcuai.lower.program import Call, TensorRef
from mcuai.memory.liveness import plan_memory
from mcuai.memory.overlap import is_overlapping
from mcuai.ops import get_op
from mcuai.passes import in_place
from mcuai.passes.pipeline import PIPELINE, run_pipeline
from mcuai.targets.host import HostModel, build
from mcuai.validate.run import validate_model


def optimized(model: bytes, tmp_path: Path, name: str = "m") -> tuple[Path, list[Node]]:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    return path, optimize(load_model(path)).nodes


def in_place_ops(nodes: list[Node]) -> list[str]:
    """Element-wise in-place layers (overlapping ones, memory/overlap.py, are left out)."""
    return [
        n.op
        for n in nodes
        if n.alias is not None and not get_op(n.op).is_view and not is_overlapping(n)
    ]


def activation_chain() -> bytes:
    """x -> conv1x1 -> tanh -> relu -> mean: tanh and relu overwrite their dead inputs."""
    g = Net(1)
    x = g.input([1, 6, 6, 8])
    c = g.conv1x1(x, 16)
    t = g.unary("TANH", c)
    r = g.unary("RELU", t, (0.02, -128))
    return g.build([x], [g.mean_hw(r)])


def skip_block() -> bytes:
    """c = conv(x); t = tanh(c); s = add(t, c): tanh may not overwrite c (read by add)."""
    g = Net(2)
    x = g.input([1, 5, 5, 8])
    c = g.conv1x1(x, 8)
    t = g.unary("TANH", c)
    s = g.binary("ADD", t, c)
    return g.build([x], [g.mean_hw(s)])


def io_model() -> bytes:
    """t = tanh(x) (an output), r = relu(t) (an output): tanh overwrites the dead model
    input; relu must not overwrite t, which the application reads."""
    g = Net(3)
    x = g.input([1, 4, 4, 8])
    t = g.unary("TANH", x)
    r = g.unary("RELU", t, (0.02, -128))
    return g.build([x], [t, r])


def test_activation_chain_aliases_and_stays_exact(tmp_path: Path, require_cc: str) -> None:
    path, nodes = optimized(activation_chain(), tmp_path)
    assert in_place_ops(nodes) == ["tanh", "relu"]
    a = analyze(path)
    # the conv (the peak: 288 B in, 576 B out) also runs in place, with an overlap
    assert [la.in_place for la in a.layers] == [True, True, True, False]
    assert a.in_place_layers == 3
    # conv output, tanh, relu: one buffer
    groups = {b.id for b in a.buffers if "t2" in b.tensors or "t3" in b.tensors}
    assert len(groups) == 1
    code = generate(path, name="chain")
    calls = [ln for ln in code.files["chain.c"].splitlines() if "mcu_lut_s8(" in ln]
    assert len(calls) == 2
    for ln in calls:
        ptrs = re.findall(r"\(a \+ (\d+)\)", ln)
        assert len(ptrs) == 2 and ptrs[0] == ptrs[1], ln
    check_against_litert(activation_chain(), tmp_path, n=5, name="chain")


@pytest.mark.ref
def test_observer_sees_every_layer_output(tmp_path: Path, require_cc: str) -> None:
    path, _ = optimized(activation_chain(), tmp_path)
    rep = validate_model(path, batches=3, seed=4, per_layer=True, progress=False)
    assert rep.layers is not None and len(rep.layers) == 4
    assert rep.first_divergence is None
    for row in rep.layers:
        assert row.metrics.bit_exact == 1.0, row


def test_input_read_later_is_not_overwritten(tmp_path: Path, require_cc: str) -> None:
    _, nodes = optimized(skip_block(), tmp_path)
    by_op = {n.op: n for n in nodes}
    assert by_op["tanh"].alias is None  # c is read again by the add
    assert by_op["add"].alias == 0  # t and c both die at the add: the first one is taken
    check_against_litert(skip_block(), tmp_path, n=5, name="skip")


def test_model_inputs_and_outputs(tmp_path: Path, require_cc: str) -> None:
    path, nodes = optimized(io_model(), tmp_path)
    by_op = {n.op: n for n in nodes}
    assert by_op["tanh"].alias == 0  # the model input is dead after it
    assert by_op["relu"].alias is None  # t is a model output
    check_against_litert(io_model(), tmp_path, n=5, name="io")

    # inputs outside the arena: the application's buffer is never written
    graph = optimize(load_model(path))
    layout = plan_memory(graph, inputs_in_arena=False)
    tanh = next(n for n in graph.nodes if n.op == "tanh")
    assert layout.tensor_group[tanh.input(0).uid] != layout.tensor_group[tanh.output.uid]
    assert not analyze(path, inputs_in_arena=False).layers[0].in_place
    code = generate(path, name="io_ext", inputs_in_arena=False)
    host = HostModel(code, build(code))
    it = litert_reference(path)
    rng = np.random.default_rng(5)
    for _ in range(3):
        x = rng.integers(-128, 128, (1, 4, 4, 8)).astype(np.int8)
        keep = x.copy()
        got, _ = host.run([x])
        ref = litert_run(it, [x])
        assert np.array_equal(x, keep)
        for g_, r_ in zip(got, ref, strict=True):
            assert np.array_equal(g_, r_)


def test_element_size_rule(tmp_path: Path) -> None:
    g = Net(4)
    x = g.input([1, 4, 4, 4])
    c = g.conv1x1(x, 8)
    q8 = g.quantize(c, (0.05, 7))  # int8 -> int8 requantization: same element size
    path = tmp_path / "q.tflite"
    path.write_bytes(g.build([x], [g.mean_hw(q8)]))
    nodes = optimize(load_model(path)).nodes
    assert in_place_ops(nodes) == ["quantize"]


def test_confirm_drops_alias_for_other_kernels(tmp_path: Path) -> None:
    _, nodes = optimized(activation_chain(), tmp_path)
    tanh = next(n for n in nodes if n.op == "tanh")
    assert tanh.alias == 0
    good = Call("mcu_lut_s8", (), [TensorRef(tanh.input(0)), TensorRef(tanh.output, out=True)])
    in_place.confirm(tanh, [good])
    assert tanh.alias == 0
    other = Call("mcu_unknown_s8", (), [TensorRef(tanh.input(0)), TensorRef(tanh.output, True)])
    in_place.confirm(tanh, [other])
    assert tanh.alias is None


def test_every_relied_on_kernel_documents_in_place() -> None:
    """The table of the pass may only list kernels whose source says in == out is allowed."""
    kernels = resources.files("mcuai.kernels")
    for k in in_place.IN_PLACE_KERNELS:
        text = kernels.joinpath(f"{k}.c").read_text(encoding="utf-8")
        assert re.search(r"in place|in == out|same buffer", text, re.IGNORECASE), k


def test_example_add_runs_in_place(tmp_path: Path, require_cc: str) -> None:
    a = analyze(EXAMPLE)
    window = ("conv2d", "depthwise_conv2d", "max_pool2d")  # overlapping in place
    assert [la.op for la in a.layers if la.in_place and not la.op.startswith(window)] == [
        "add+relu",
        "softmax",
    ]
    check_against_litert(EXAMPLE.read_bytes(), tmp_path, n=5, name="digits")


WITHOUT_IN_PLACE = [p for p in PIPELINE if p[0] != "in_place"]

CORPUS = [
    "mlperf_tiny/kws_ref_model.tflite",
    "mlperf_tiny/vww_96_int8.tflite",
    "mlperf_tiny/pretrainedResnet_quant.tflite",
    "stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite",
    "tinyengine_mit/mcunet_vww.tflite",
    "tinyengine_mit/mcunet_detection.tflite",
    "tflm/mobilenet_v2_quantized_1x3x224x224.tflite",
]


@pytest.mark.corpus
@pytest.mark.parametrize("rel", CORPUS)
def test_corpus_in_place_never_costs_memory(rel: str) -> None:
    path = corpus_model(rel)
    with_ip = plan_memory(optimize(load_model(path)))
    without = plan_memory(run_pipeline(load_model(path), WITHOUT_IN_PLACE))
    assert with_ip.plan.lower_bound <= without.plan.lower_bound
    shared = sum(len(g.members) for g in with_ip.groups) - len(with_ip.groups)
    assert shared >= sum(len(g.members) for g in without.groups) - len(without.groups)


@pytest.mark.qemu
@pytest.mark.corpus
@pytest.mark.cc
@pytest.mark.parametrize(
    "rel",
    [
        "stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite",
        "tinyengine_mit/mcunet_vww.tflite",
        "mlperf_tiny/pretrainedResnet_quant.tflite",
        "mlperf_tiny/kws_ref_model.tflite",  # overlapping layers, both directions
        "stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite",
    ],
)
def test_in_place_models_on_cortex_m4(rel: str, require_cc: str) -> None:
    """Models with in-place layers give the host's outputs (bit-exact with LiteRT, see
    test_e2e_corpus) on an emulated Cortex-M4."""
    from mcuai.targets.cortexm import run_elf
    from mcuai.targets.cortexm.build import build_elf
    from mcuai.targets.cortexm.toolchain import ToolchainError, find_toolchain

    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))
    path = corpus_model(rel)
    code = generate(path)
    assert analyze(path).in_place_layers > 0
    host = HostModel(code, build(code))
    elf = build_elf(code, "cortex-m4")
    rng = np.random.default_rng(8)
    for _ in range(2):
        xs = [
            rng.integers(-128, 128, io.tensor.shape).astype(io.tensor.dtype.np)
            if io.tensor.dtype.is_integer
            else rng.uniform(0, 1, io.tensor.shape).astype(io.tensor.dtype.np)
            for io in code.inputs
        ]
        want, _ = host.run(xs)
        got = run_elf(elf, "cortex-m4", xs, runs=1).outputs
        for w_, g_ in zip(want, got, strict=True):
            assert np.array_equal(w_, g_)


def test_uint8_layers_run_in_place_after_the_int8_rewrite(tmp_path: Path, require_cc: str) -> None:
    """uint8 layers get their int8 kernels only when generate rewrites the graph; the in-place
    pass runs again there, so they (and the inserted uint8 <-> int8 conversions) share one
    buffer too."""
    from helpers.tflite_builder import TFLiteBuilder

    b = TFLiteBuilder()
    x = b.tensor("x", [1, 4, 4, 8], "uint8", scale=0.05, zero_point=128)
    t = b.tensor("t", [1, 4, 4, 8], "uint8", scale=0.02, zero_point=120)
    y = b.tensor("y", [1, 4, 4, 8], "uint8", scale=1 / 256, zero_point=0)
    b.op("TANH", [x], [t])
    b.op("LOGISTIC", [t], [y])
    model = b.build([x], [y])
    path = tmp_path / "u8.tflite"
    path.write_bytes(model)
    a = analyze(path)
    assert [la.in_place for la in a.layers] == [True, True]
    assert len(a.steps) == 4 and a.arena_bytes == 128  # one buffer for everything
    code = generate(path, name="u8")
    calls = [ln for ln in code.files["u8.c"].splitlines() if ln.strip().startswith("mcu_")]
    assert len(calls) == 4 and all(ln.count("(a + 0)") == 2 for ln in calls)
    check_against_litert(model, tmp_path, n=5, name="u8")
