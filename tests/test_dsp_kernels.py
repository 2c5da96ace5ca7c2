"""Cortex-M DSP-extension paths of the int8 convolution (generic, 1x1) and fully connected
kernels (issue #5): the generated code built for the Cortex-M4 (DSP path) and with
-DMCU_PORTABLE (portable C), both run under QEMU, must equal LiteRT BUILTIN_REF exactly.

One model holds many single-op cases side by side (one input and one output each), so a case
list costs two builds and a few QEMU runs: odd channel counts (K % 4 tails, odd output
channels, odd pixel counts), strides, SAME/VALID padding, dilation, groups (portable fallback
inside the DSP build), per-channel and per-tensor weights, every fused clamp, no bias, int8
extremes (weights -128/127, inputs -128/127 with zero points -128 and 127, so x - zp reaches
+-255), and the fully connected layer's integer emulation of LiteRT's float64 requantization.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as s

from helpers.opcheck import litert_reference, litert_run
from helpers.tflite_builder import TFLiteBuilder, options
from mcuai.api import generate
from mcuai.codegen.emit import GeneratedCode
from mcuai.targets.cortexm import ToolchainError, build_elf, find_toolchain, run_elf

ACT = s.ActivationFunctionType
KERNELS = Path(__file__).resolve().parents[1] / "src" / "mcuai" / "kernels"


@pytest.fixture(scope="module")
def arm_tools() -> None:
    try:
        find_toolchain()
    except ToolchainError as e:
        pytest.skip(str(e))


@dataclass(frozen=True)
class Case:
    """One CONV_2D (k != None) or FULLY_CONNECTED (k is None) layer."""

    in_shape: tuple[int, ...]
    cout: int
    k: tuple[int, int] | None = None
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: int = s.Padding.SAME
    act: int = ACT.NONE
    per_channel: bool = True
    bias: bool = True
    groups: int = 1
    in_q: tuple[float, int] = (0.02, -5)
    out_q: tuple[float, int] = (0.05, 3)
    w_zp: int = 0
    extreme_weights: bool = False


def _add_case(b: TFLiteBuilder, i: int, c: Case, rng: np.random.Generator) -> tuple[int, int]:
    x = b.tensor(f"x{i}", list(c.in_shape), "int8", scale=c.in_q[0], zero_point=c.in_q[1])
    cin = c.in_shape[-1]
    if c.k is None:
        wshape: tuple[int, ...] = (c.cout, cin)
    else:
        wshape = (c.cout, c.k[0], c.k[1], cin // c.groups)
    wdata = rng.integers(-127, 128, wshape).astype(np.int8)
    if c.extreme_weights:  # first channels at the int8 ends, the rest random
        wdata[0] = -128
        wdata[min(1, c.cout - 1)] = 127
    if c.per_channel:
        ws = [float(v) for v in rng.uniform(0.0005, 0.006, c.cout)]
        wt = b.const(f"w{i}", wdata, scale=ws, zero_point=[0] * c.cout)
    else:
        ws = [0.004] * c.cout
        wt = b.const(f"w{i}", wdata, scale=0.004, zero_point=c.w_zp)
    ins = [x, wt]
    if c.bias:
        bd = rng.integers(-4000, 4000, c.cout).astype(np.int32)
        bscale = [float(np.float32(c.in_q[0]) * np.float32(v)) for v in ws]
        if c.per_channel:
            ins.append(b.const(f"b{i}", bd, scale=bscale, zero_point=[0] * c.cout))
        else:
            ins.append(b.const(f"b{i}", bd, scale=bscale[0], zero_point=0))
    if c.k is None:
        y = b.tensor(
            f"y{i}",
            [math.prod(c.in_shape) // cin, c.cout],
            "int8",
            scale=c.out_q[0],
            zero_point=c.out_q[1],
        )
        opts = options("FullyConnectedOptionsT", fusedActivationFunction=c.act)
        b.op("FULLY_CONNECTED", ins, [y], opts, version=5)
        return x, y
    n, h, w, _ = c.in_shape
    if c.padding == s.Padding.SAME:
        oh, ow = -(-h // c.stride[0]), -(-w // c.stride[1])
    else:
        oh = (h - (c.k[0] - 1) * c.dilation[0] - 1) // c.stride[0] + 1
        ow = (w - (c.k[1] - 1) * c.dilation[1] - 1) // c.stride[1] + 1
    y = b.tensor(f"y{i}", [n, oh, ow, c.cout], "int8", scale=c.out_q[0], zero_point=c.out_q[1])
    opts = options(
        "Conv2DOptionsT",
        padding=c.padding,
        strideH=c.stride[0],
        strideW=c.stride[1],
        dilationHFactor=c.dilation[0],
        dilationWFactor=c.dilation[1],
        fusedActivationFunction=c.act,
    )
    b.op("CONV_2D", ins, [y], opts, version=3)
    return x, y


def _model(cases: list[Case], seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    b = TFLiteBuilder()
    xs, ys = zip(*(_add_case(b, i, c, rng) for i, c in enumerate(cases)), strict=True)
    return b.build(list(xs), list(ys))


CONV_CASES = [
    # generic: Cin 3 (K = 27: scalar im2col and a K % 4 tail), odd Cout, stride 2, odd pixels
    Case((1, 9, 7, 3), 5, (3, 3), stride=(2, 2), act=ACT.RELU6),
    # Cin 8 (SXTAB16 im2col), dilation, per-tensor, VALID
    Case((1, 8, 9, 8), 7, (3, 3), dilation=(2, 1), padding=s.Padding.VALID, per_channel=False),
    # the kws first layer's shape: Cin 1, 10x4 window, stride 2
    Case((1, 13, 6, 1), 6, (5, 4), stride=(2, 2), act=ACT.RELU),
    # batch 2, RELU_N1_TO_1, rectangular stride (LiteRT's int8 conv needs a bias)
    Case((2, 5, 6, 4), 3, (2, 3), stride=(1, 2), act=ACT.RELU_N1_TO_1),
    # groups (portable loop inside the DSP build)
    Case((1, 5, 5, 8), 4, (3, 3), groups=2),
    # extremes: x - zp = +255 (zp -128), weights -128/127, K = 3*3*64 = 576
    Case((1, 4, 4, 64), 6, (3, 3), in_q=(0.02, -128), out_q=(0.9, 0), extreme_weights=True),
    # x - zp = -255 (zp 127)
    Case((1, 3, 5, 12), 5, (3, 3), in_q=(0.02, 127), out_q=(0.9, -3), extreme_weights=True),
    # 1x1: Cin 12, odd Cout and odd pixel count, RELU_N1_TO_1
    Case((1, 3, 5, 12), 9, (1, 1), act=ACT.RELU_N1_TO_1),
    # 1x1: Cin 7 (tail), Cout 4, batch 3, per-tensor
    Case((3, 2, 2, 7), 4, (1, 1), per_channel=False, act=ACT.RELU),
    # 1x1 extremes, Cin 130, RELU6, 1 pixel
    Case((1, 1, 1, 130), 3, (1, 1), in_q=(0.02, -128), out_q=(1.5, 5), extreme_weights=True),
    # 1x1 with Cin 3: no full group of 4 (the assembly loop runs zero times), tail only
    Case((1, 3, 3, 3), 5, (1, 1)),
    # Cin 3 with dilation.w 2: the window gather tap by tap, with padding
    Case((1, 6, 7, 3), 4, (3, 3), dilation=(1, 2)),
    # Cin 5, 6x6 window: K = 180 > the stack patch, the column builder's scalar path
    Case((1, 7, 6, 5), 3, (6, 6), stride=(2, 1)),
    # effective scales around 1: some channels with shift >= 0 (the non-merged
    # requantization), some with shift < 0, in the generic and the 1x1 kernel
    Case((1, 4, 5, 8), 6, (3, 3), out_q=(0.00006, 1)),
    Case((1, 3, 3, 16), 7, (1, 1), out_q=(0.00006, -1)),
    # every shift < 0, some -1 (effective scales in [0.25, 0.5)): the assembly rows with
    # right shift 1; RELU with output zero point -128 (the SSAT #8 clamp)
    Case((1, 4, 4, 16), 6, (1, 1), out_q=(0.0004, -128), act=ACT.RELU),
    Case((1, 5, 4, 4), 5, (3, 3), out_q=(0.0004, 0)),
]

FC_CASES = [
    Case((3, 37), 11, per_channel=False, w_zp=-7, act=ACT.RELU),
    Case((2, 16), 2, per_channel=True, act=ACT.RELU6),
    Case((1, 640), 9, per_channel=True, in_q=(0.02, -128), out_q=(0.7, 2), extreme_weights=True),
    Case((4, 5), 1, per_channel=False, w_zp=5, bias=False, act=ACT.RELU_N1_TO_1),
    Case((1, 130), 7, per_channel=False, in_q=(0.02, 127), out_q=(0.6, 0), extreme_weights=True),
    # the input words split in registers, 4 groups of 4 per loop: 11 groups (1 + 2 + 2 * 4),
    # 6 groups + a tail of 3; 6 rows: a pass of 4 and a pair
    Case((2, 44), 6, per_channel=False, w_zp=3, act=ACT.RELU),
    Case((1, 27), 6, per_channel=True, extreme_weights=True),
]


def _inputs(code: GeneratedCode, rng: np.random.Generator, kind: str) -> list[np.ndarray]:
    out = []
    for io in code.inputs:
        shape = io.tensor.shape
        if kind == "min":
            out.append(np.full(shape, -128, np.int8))
        elif kind == "max":
            out.append(np.full(shape, 127, np.int8))
        else:
            out.append(rng.integers(-128, 128, shape).astype(np.int8))
    return out


def _check_dsp_and_portable(
    cases: list[Case], tmp_path: Path, seed: int, core: str = "cortex-m4"
) -> None:
    path = tmp_path / "dsp.tflite"
    path.write_bytes(_model(cases, seed))
    code = generate(path, name="dsp")
    it = litert_reference(path)
    dsp = build_elf(code, core)
    portable = build_elf(code, core, extra_cflags=["-DMCU_PORTABLE"])
    rng = np.random.default_rng(seed)
    for kind in ("random", "random", "min", "max"):
        xs = _inputs(code, rng, kind)
        want = litert_run(it, xs)
        got_dsp = run_elf(dsp, core, xs, runs=1)
        got_portable = run_elf(portable, core, xs, runs=1)
        for i, w in enumerate(want):
            np.testing.assert_array_equal(got_dsp.outputs[i], w, err_msg=f"DSP case {i} {kind}")
            np.testing.assert_array_equal(got_portable.outputs[i], w, err_msg=f"case {i} {kind}")
        # the DSP build really runs other code (and faster)
        assert got_dsp.instructions[0] < got_portable.instructions[0]


@pytest.mark.qemu
@pytest.mark.ref
@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])  # DSP path, Helium path
def test_conv_dsp_and_portable_equal_litert(arm_tools: None, tmp_path: Path, core: str) -> None:
    _check_dsp_and_portable(CONV_CASES, tmp_path, seed=1, core=core)


@pytest.mark.qemu
@pytest.mark.ref
@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_fc_dsp_and_portable_equal_litert(arm_tools: None, tmp_path: Path, core: str) -> None:
    _check_dsp_and_portable(FC_CASES, tmp_path, seed=2, core=core)


# ---- the fully connected layer's integer form of LiteRT's float64 requantization ----------
_DRIVER = r"""
#include <stdio.h>
#include "mcu_fc_s8.h"
int main(void)
{
    struct { int32_t acc; int32_t pad; int64_t bits; } in;
    while (fread(&in, sizeof in, 1, stdin) == 1) {
        int32_t r[4];
        mcu_fc_rq rq;
        mcu_fc_rq_init(&rq, in.bits);
        r[0] = mcu_fc_requantize(in.acc, in.bits);
        r[1] = mcu_requantize_f64(in.acc, mcu_f64_from_bits(in.bits));
        r[2] = mcu_fc_rq_apply(in.acc, &rq);
        r[3] = mcu_fc_rq_out(in.acc, &rq, 5, -128, 120);
        fwrite(r, sizeof r, 1, stdout);
    }
    return 0;
}
"""


def _round_half_away_sat(acc: int, scale: float) -> int:
    """Independent math: Python's float product is the IEEE-754 binary64 product; the
    rounding of that double happens in exact rationals."""
    p = Fraction(float(acc) * scale)
    if p >= 2**31 - 1:
        return 2**31 - 1
    if p <= -(2**31):
        return -(2**31)
    r = math.floor(abs(p) + Fraction(1, 2))
    return r if p >= 0 else -r


def _requant_cases() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    accs: list[int] = []
    scales: list[float] = []
    # random accumulators and realistic to extreme scales
    for _ in range(20000):
        accs.append(int(rng.integers(-(2**31), 2**31)) >> int(rng.integers(0, 31)))
        scales.append(float(10.0 ** rng.uniform(-9, 1)))
    # exact ties: odd acc times k / 2^j lands on n + 1/2
    for _ in range(3000):
        j = int(rng.integers(1, 20))
        acc = int(rng.integers(-(2**20), 2**20)) | 1
        k = int(rng.integers(1, 2**j)) | 1
        accs.append(acc)
        scales.append(k / 2.0 ** (j + int(rng.integers(0, 3))))
    # next to ties: S = (n + 1/2) / acc rounded, and its neighbours (the float64 product rounds
    # onto or off the half-integer)
    for _ in range(4000):
        acc = int(rng.integers(-(2**31), 2**31))
        if acc == 0:
            continue
        n = int(rng.integers(-300, 300))
        s = abs(float(Fraction(2 * n + 1, 2 * acc)))
        for v in (s, math.nextafter(s, 0.0), math.nextafter(s, math.inf)):
            accs.append(acc)
            scales.append(v)
    # next to ties at usual FC scales (2^-11 <= S < 2: the fast path's exponent range), where
    # only the margin test keeps the 53-bit rounding's effect
    for _ in range(4000):
        acc = int(rng.integers(1, 2**21)) * (1 if rng.integers(0, 2) else -1)
        n = int(abs(acc) * 10.0 ** rng.uniform(-3.3, 0.2))
        s = float(Fraction(2 * n + 1, 2 * abs(acc)))
        for v in (s, math.nextafter(s, 0.0), math.nextafter(s, math.inf)):
            accs.append(acc)
            scales.append(v)
    # extremes: int32 ends, zero, subnormal and huge scales (saturation)
    for acc in (-(2**31), 2**31 - 1, 0, 1, -1, 3, -3):
        for v in (0.0, 5e-324, 2.2250738585072014e-308, 1e-12, 0.5, 1.0, 1.5, 3.0, 1e6, 2.0**40):
            accs.append(acc)
            scales.append(v)
    return np.array(accs, np.int64), np.array(scales, np.float64)


@pytest.mark.cc
def test_fc_integer_requantization_equals_float64(require_cc: str, tmp_path: Path) -> None:
    src = tmp_path / "drv.c"
    src.write_text(_DRIVER)
    exe = tmp_path / "drv"
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
    fc = str(KERNELS / "mcu_fc_s8.c")
    subprocess.run(
        [require_cc, *flags, "-I", str(KERNELS), str(src), fc, "-o", str(exe)], check=True
    )
    accs, scales = _requant_cases()
    rec = np.zeros(len(accs), [("acc", "<i4"), ("pad", "<i4"), ("bits", "<i8")])
    rec["acc"] = accs
    rec["bits"] = scales.view(np.int64)
    out = subprocess.run([str(exe)], input=rec.tobytes(), capture_output=True, check=True)
    got = np.frombuffer(out.stdout, np.int32).reshape(-1, 4)
    pairs = list(zip(accs.tolist(), scales.tolist(), strict=True))
    want = np.array([_round_half_away_sat(a, v) for a, v in pairs])
    ties = sum(Fraction(float(a) * v).denominator == 2 for a, v in pairs)
    assert ties > 1000  # the tie cases really are ties of the float64 product
    np.testing.assert_array_equal(got[:, 0], want)  # integer emulation
    np.testing.assert_array_equal(got[:, 1], want)  # the float64 form it replaces
    np.testing.assert_array_equal(got[:, 2], want)  # the per-channel form with a 32-bit fast path
    np.testing.assert_array_equal(got[:, 3], np.clip(want + 5, -128, 120))  # and with the clamp
