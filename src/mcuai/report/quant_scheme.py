"""Describe a model's quantization scheme in words and with the short label the established
MCU tool prints (e.g. ``ss/sa per-channel``).

Label letters: the first pair describes weights, the second activations; ``s``/``u`` = signed /
unsigned integer type, then ``s``/``a`` = symmetric (all zero points 0) / asymmetric. The suffix
says whether weights are quantized per channel (any weighted layer) or per tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ops import get_op
from mcuai.ops.base import WeightedOp, is_quantized


@dataclass(frozen=True)
class QuantScheme:
    label: str  # e.g. "ss/sa per-channel", "float", "mixed ss/sa per-channel + float"
    description: str  # in words
    weight_dtypes: tuple[str, ...]
    activation_dtypes: tuple[str, ...]
    per_channel_layers: int
    per_tensor_layers: int
    float_layers: int


def _letters(dtypes: set[DType], symmetric: bool) -> str:
    sign = "u" if dtypes == {DType.UINT8} else "s"
    return sign + ("s" if symmetric else "a")


def describe_scheme(graph: Graph, float_layers: int) -> QuantScheme:
    wd: set[DType] = set()
    ad: set[DType] = set()
    w_sym = a_sym = True
    per_ch = per_t = 0
    for n in graph.nodes:
        for t in [*n.inputs, *n.outputs]:
            if t is not None and not t.is_const and is_quantized(t):
                ad.add(t.dtype)
                a_sym = a_sym and t.quant is not None and t.quant.symmetric
        if isinstance(get_op(n.op), WeightedOp):
            w = n.input(1)
            if is_quantized(w) and w.quant is not None:
                wd.add(w.dtype)
                w_sym = w_sym and w.quant.symmetric
                if w.quant.per_axis:
                    per_ch += 1
                else:
                    per_t += 1
    if not wd and not ad:
        return QuantScheme("float", "float32 weights and activations", (), (), 0, 0, float_layers)
    gran = "per-channel" if per_ch else "per-tensor"
    w_words = "no weighted layers"
    if wd:
        w_words = (
            f"{'/'.join(sorted(d.value for d in wd))} weights "
            f"{'symmetric' if w_sym else 'asymmetric'} {gran}"
        )
        if per_ch and per_t:
            w_words += f" ({per_t} weighted layer(s) per-tensor)"
    a_words = (
        f"{'/'.join(sorted(d.value for d in ad))} activations "
        f"{'symmetric' if a_sym else 'asymmetric'} per-tensor"
    )
    label = f"{_letters(wd or ad, w_sym)}/{_letters(ad, a_sym)} {gran}"
    if DType.INT16 in ad:
        label += " 16x8"
    desc = f"{w_words}, {a_words}"
    if float_layers:
        label = f"mixed {label} + float"
        desc += f"; {float_layers} layer(s) in float32"
    return QuantScheme(
        label,
        desc,
        tuple(sorted(d.value for d in wd)),
        tuple(sorted(d.value for d in ad)),
        per_ch,
        per_t,
        float_layers,
    )
