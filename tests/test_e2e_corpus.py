"""End to end on the third-party corpus: generated C vs the model's own reference runtime,
bit-exact on 10 random inputs; once per model under ASan + UBSan."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import corpus_model
from mcuai.api import generate
from mcuai.targets.harness import host_harness
from mcuai.targets.host import HostModel, build
from mcuai.validate.data import random_inputs
from mcuai.validate.reference import tflite_reference
from mcuai.validate.run import validate_model

pytestmark = [pytest.mark.cc, pytest.mark.ref, pytest.mark.corpus, pytest.mark.slow]

INT8_MODELS = [
    "mlperf_tiny/kws_ref_model.tflite",
    "mlperf_tiny/vww_96_int8.tflite",
    "mlperf_tiny/pretrainedResnet_quant.tflite",
    "mlperf_tiny/ad01_int8.tflite",
    "mlperf_tiny/str_ww_ref_model.tflite",
    "tflm/hello_world_int8.tflite",
    "tflm/micro_speech_quantized.tflite",
    "tflm/person_detect.tflite",
    "stm32ai_modelzoo_apache2/yamnet_256_64x96_tl_int8.tflite",
    "stm32ai_modelzoo_apache2/miniresnet_1stacks_64x50_tl_int8.tflite",
    "stm32ai_modelzoo_apache2/miniresnetv2_1stacks_64x50_tl_int8.tflite",
    "tinyengine_mit/mcunet_vww.tflite",
    "tinyengine_mit/mcunet_detection.tflite",
    "tinyengine_mit/mcunet_mcunetv2_large.tflite",
    "tflm/mobilenet_v2_quantized_1x3x224x224.tflite",
]


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_bit_exact_on_10_random_inputs(rel: str, require_cc: str) -> None:
    rep = validate_model(corpus_model(rel), batches=10, seed=1, progress=False)
    for row in rep.rows:
        m = row.metrics
        assert m.rmse == 0.0 and m.max_lsb in (0, None), (rel, row.output, m)
        if m.bit_exact is not None:
            assert m.bit_exact == 1.0
    if "person_detect" in rel:
        assert "TFLite Micro" in rep.reference


@pytest.mark.parametrize(
    "rel",
    ["mlperf_tiny/ad01_int8.tflite", "tflm/mobilenet_v2_quantized_1x3x224x224.tflite"],
)
def test_difference_to_tflite_micro_is_reported(rel: str, require_cc: str) -> None:
    """LiteRT's reference and TFLite Micro disagree by 1-2 LSB on these models; mcuai is exact
    with LiteRT's reference (asserted above) and this shows the difference to TFLite Micro."""
    path = corpus_model(rel)
    code = generate(path)
    host = HostModel(code, build(code))
    from mcuai.api import load_model

    graph = load_model(path)
    xs = random_inputs(graph.inputs, 3, seed=2)
    tflm = tflite_reference(path, runtime="tflm").run(xs)
    worst = 0
    for k in range(3):
        out, _ = host.run([x[k].reshape(t.shape) for x, t in zip(xs, graph.inputs, strict=True)])
        d = np.abs(out[0].astype(np.int64).reshape(-1) - tflm[0][k].astype(np.int64).reshape(-1))
        worst = max(worst, int(d.max()))
    print(f"{rel}: largest difference to TFLite Micro over 3 inputs: {worst} LSB")
    assert worst <= 2


SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_under_asan_ubsan(rel: str, require_cc: str, tmp_path: Path) -> None:
    path = corpus_model(rel)
    code = generate(path)
    exe = build(code, kind="exe", opt="-O1", extra=SANITIZE, harness=host_harness(code))
    from mcuai.api import load_model

    graph = load_model(path)
    xs = random_inputs(graph.inputs, 1, seed=3)
    args = [str(exe)]
    sample = []
    for i, (x, t) in enumerate(zip(xs, graph.inputs, strict=True)):
        arr = np.ascontiguousarray(x[0].reshape(t.shape), dtype=t.dtype.np)
        sample.append(arr)
        (tmp_path / f"in{i}").write_bytes(arr.tobytes())
        args.append(str(tmp_path / f"in{i}"))
    args += [str(tmp_path / f"out{j}") for j in range(len(graph.outputs))]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = HostModel(code, build(code)).run(sample)
    for j, t in enumerate(graph.outputs):
        got = np.frombuffer((tmp_path / f"out{j}").read_bytes(), t.dtype.np)
        np.testing.assert_array_equal(got, ref[j].reshape(-1))
