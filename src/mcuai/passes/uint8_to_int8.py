"""Store the uint8 tensors of a TFLite model as int8, at lowering time.

Older TFLite models quantize asymmetrically to uint8. mcuai's integer kernels are int8 ones, and
a uint8 value ``u`` with zero point ``z`` holds the same real value as the int8 value ``u - 128``
with zero point ``z - 128`` (``real = s * (u - z) = s * ((u - 128) - (z - 128))``). This pass
rewrites the graph accordingly, just before lowering (``codegen.generate.generate_code`` and the
lowering step of ``api.analyze``). It is *not* part of the pass pipeline: the optimized graph,
and so ``mcuai analyze``, still describe the model as uint8.

What it does (for graphs whose nodes all follow TFLite numerics, or all ONNX Runtime's; a
graph is rewritten once, ``graph.metadata["uint8_to_int8"]`` records it):

* every quantized uint8 tensor that is neither a graph input nor a graph output becomes int8
  with its zero point(s) minus 128, in place; constants get their data minus 128, so uint8
  weights become int8 weights with a *non-zero* zero point (``z_w - 128``, 0 only when
  ``z_w = 128``);
* the model keeps its uint8 inputs and outputs: a uint8 graph input read by nodes other than
  QUANTIZE/DEQUANTIZE (which read uint8 natively) gets a ``quantize`` node uint8 -> int8 (equal
  scales, zero point - 128: ``mcu_quantize_u8_s8``, exactly ``q - 128``) before its first
  reader, and the readers use the int8 copy (named ``<name> (int8)``); a uint8 graph output not
  written by a QUANTIZE node is written as int8 (``<name> (int8)``) by its producer and
  converted back by a ``quantize`` node int8 -> uint8 (``mcu_quantize_s8_u8``) right after it;
* integer attributes that live in the tensor's integer domain follow the shift: the fused
  activation clamps are recomputed for the int8 output (TFLite's
  ``CalculateActivationRangeQuantized``, which shifts by exactly -128) and PAD's fill value
  moves by -128;
* every node that reads or writes a rewritten tensor (and the inserted conversions) gets
  ``Node.numerics = "tflite-uint8"`` (``mcuai.lower.uint8.UINT8_NUMERICS``; lowerings test it
  with ``mcuai.lower.uint8.from_uint8``). That is how a lowering knows to apply TFLite's
  *uint8* rule where it differs from the int8 one, e.g. the per-tensor float-product multiplier
  and the filter offset of CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV, AVERAGE_POOL_2D's
  rounding, CONCATENATION's rescaling, RESIZE_BILINEAR's float interpolation, SOFTMAX's
  unchecked output quantization (see :mod:`mcuai.lower.uint8`). Where both rules agree (ADD,
  SUB, MUL, MEAN, LUT activations, data movement, ...), the int8 kernel computes the uint8
  result exactly;
* a node (other than QUANTIZE/DEQUANTIZE) mixing quantized uint8 and int8 tensors gets
  ``"tflite-uint8-mixed"`` instead and is refused at lowering (after the rewrite the two types
  could not be told apart; LiteRT refuses most such layers or reads one type's bytes as the
  other).

ONNX graphs (``numerics`` "onnxruntime*", see :mod:`mcuai.lower.ort`): the same rewrite, with
ONNX Runtime's rules. A fused node touching a rewritten tensor becomes ``"onnxruntime-u8"``: ORT
computes it on the uint8 values, which only matters where a zero point enters float arithmetic
(QLinearAdd, QLinearAveragePool: their kernels add 128 back before it); integer accumulations,
float requantization and the unfused float ops (``"onnxruntime-float"``) see only ``q - zp``
differences and the output zero point, so the int8 kernels give the uint8 result exactly.
Clamps are recomputed with ORT's half-to-even rounding. int8 weights next to uint8 activations
(ORT's usual u8s8 layers) are not "mixed": only the activations move. With ``--requant
fixed-point`` (``"onnxruntime-fixed-point"``) the touched nodes take TFLite's uint8 rules.

Exactness: every int8 kernel only ever uses ``q - zp`` differences, clamps in the (shifted)
output range and adds the (shifted) output zero point, so the -128 shift cancels wherever the
rule is the same; the rules that depend on the stored value itself are the ones listed above.

Running the pass again on a rewritten graph changes nothing (its rewritten nodes no longer
carry ``numerics="tflite"``).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from mcuai.errors import GraphError
from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import QuantParams, Tensor
from mcuai.ir.verify import verify
from mcuai.lower.uint8 import MIXED_NUMERICS, UINT8_NUMERICS, from_uint8
from mcuai.ops._common import Activation, Clamp
from mcuai.passes.fuse_activations import quantized_clamp

__all__ = ["UINT8_NUMERICS", "from_uint8", "rewritten_copy", "run"]

#: Ops that read and write uint8 tensors natively (no int8 copy needed at the boundary).
_NATIVE = ("quantize", "dequantize")


def _is_q8(t: Tensor | None) -> bool:
    return t is not None and t.dtype is DType.UINT8 and t.quant is not None


def _shifted_quant(q: QuantParams) -> QuantParams:
    return QuantParams(q.scale.copy(), q.zero_point - 128, q.axis)


def _int8_twin(t: Tensor) -> Tensor:
    assert t.quant is not None
    return Tensor(f"{t.name} (int8)", t.shape, DType.INT8, _shifted_quant(t.quant))


def _to_int8(t: Tensor) -> None:
    """Rewrite a uint8 tensor as int8 in place (data and zero points minus 128)."""
    assert t.quant is not None
    t.dtype = DType.INT8
    t.quant = _shifted_quant(t.quant)
    if t.data is not None:
        t.data = (t.data.astype(np.int16) - 128).astype(np.int8)


def _fix_attrs(n: Node, half_even: bool = False) -> None:
    """Integer attributes in the (rewritten) output's integer domain follow the -128 shift."""
    out = n.outputs[0] if n.outputs else None
    if out is None or out.quant is None or out.quant.per_axis:
        return
    a = n.attrs
    act = getattr(a, "act", None)
    if isinstance(getattr(a, "clamp", None), Clamp) and isinstance(act, Activation):
        n.attrs = dataclasses.replace(a, clamp=quantized_clamp(act, out, half_even))
    elif n.op == "pad":
        n.attrs = dataclasses.replace(a, value=float(a.value) - 128.0)


def _mixes_u8_s8(n: Node) -> bool:
    types = {
        t.dtype
        for t in [*n.inputs, *n.outputs]
        if t is not None and t.quant is not None and t.dtype in (DType.UINT8, DType.INT8)
    }
    return len(types) == 2


def _is_onnx(graph: Graph) -> bool:
    return bool(graph.nodes) and all(n.numerics.startswith("onnxruntime") for n in graph.nodes)


def _applies(graph: Graph) -> bool:
    """A TFLite graph (every node with TFLite numerics) or an ONNX graph not rewritten yet,
    holding quantized uint8 tensors."""
    tflite = all(n.numerics == "tflite" for n in graph.nodes)
    onnx = _is_onnx(graph) and graph.metadata.get("uint8_to_int8") != "done"
    return (tflite or onnx) and any(_is_q8(t) for t in graph.tensors())


def _rewrite(graph: Graph) -> dict[int, int]:
    """The rewrite, in place. Returns, for each inserted conversion node (by ``id``), the
    ``id`` of the node it serves (the first reader of an input, the producer of an output)."""
    served: dict[int, int] = {}
    if not _applies(graph):
        return served
    onnx = _is_onnx(graph)
    graph.metadata["uint8_to_int8"] = "done"
    q8 = [t for t in graph.tensors() if _is_q8(t)]
    keep = {t.uid for t in graph.inputs} | {t.uid for t in graph.outputs}
    producers = graph.producers()
    touched: set[int] = set()  # ids of nodes reading or writing a rewritten tensor
    shifted_out: set[int] = set()  # ids of nodes whose output 0 is rewritten
    new_nodes: list[Node] = list(graph.nodes)
    # nodes mixing uint8 and int8 8-bit tensors (QUANTIZE/DEQUANTIZE excepted) are refused at
    # lowering: after the rewrite, nothing would tell the two apart
    # (ONNX: ORT itself refuses activations of both types in one node; u8 activations with s8
    # weights are its usual layers)
    mixed = set() if onnx else {id(n) for n in new_nodes if n.op not in _NATIVE and _mixes_u8_s8(n)}

    # uint8 graph inputs: one int8 copy for the readers that need int8
    for x in graph.inputs:
        if not _is_q8(x):
            continue
        readers = [n for n in new_nodes if n.op not in _NATIVE and any(t is x for t in n.inputs)]
        if not readers:
            continue
        x8 = _int8_twin(x)
        conv = Node("quantize", [x], [x8], None, f"{x.name} (uint8 input -> int8)")
        conv.numerics = UINT8_NUMERICS
        for n in readers:
            n.inputs = [x8 if t is x else t for t in n.inputs]
            touched.add(id(n))
        new_nodes.insert(new_nodes.index(readers[0]), conv)
        served[id(conv)] = id(readers[0])

    # uint8 graph outputs computed by an int8 layer: written as int8, converted after
    for y in list(graph.outputs):
        p = producers.get(y.uid)
        if not _is_q8(y) or p is None or p.op == "quantize":
            continue
        y8 = _int8_twin(y)
        p.outputs = [y8 if t is y else t for t in p.outputs]
        for n in new_nodes:
            if n is not p and any(t is y for t in n.inputs):
                n.inputs = [y8 if t is y else t for t in n.inputs]
                touched.add(id(n))
        touched.add(id(p))
        if p.outputs[0] is y8:
            shifted_out.add(id(p))
        conv = Node("quantize", [y8], [y], None, f"{y.name} (int8 -> uint8 output)")
        conv.numerics = UINT8_NUMERICS
        new_nodes.insert(new_nodes.index(p) + 1, conv)
        served[id(conv)] = id(p)

    # every other uint8 tensor (activations and constants) becomes int8 in place
    rewritten = {t.uid for t in q8 if t.uid not in keep}
    for t in q8:
        if t.uid in rewritten:
            _to_int8(t)
    for n in new_nodes:
        if id(n) in served:
            continue
        ts = [t for t in [*n.inputs, *n.outputs] if t is not None]
        if id(n) in mixed:
            n.numerics = MIXED_NUMERICS
        elif id(n) in touched or any(t.uid in rewritten for t in ts):
            n.numerics = _uint8_numerics(n.numerics) if onnx else UINT8_NUMERICS
            if id(n) in shifted_out or (n.outputs and n.outputs[0].uid in rewritten):
                _fix_attrs(n, half_even=onnx)
    graph.nodes = new_nodes
    return served


def _uint8_numerics(numerics: str) -> str:
    """ONNX node on rewritten uint8 tensors: fused ORT nodes compute on uint8 values
    (``"onnxruntime-u8"``); integer-only (``--requant fixed-point``) ones take TFLite's uint8
    rules; unfused float ones are unaffected."""
    if numerics == "onnxruntime":
        return "onnxruntime-u8"
    if numerics == "onnxruntime-fixed-point":
        return UINT8_NUMERICS
    return numerics


def _verify(graph: Graph) -> None:
    try:
        verify(graph, "uint8_to_int8")
    except GraphError as e:
        where = graph.metadata.get("path", graph.name)
        raise GraphError(f"{where}: internal error, please report: {e}") from None


def run(graph: Graph) -> Graph:
    """Rewrite ``graph`` in place (see the module docstring) and return it, verified."""
    _rewrite(graph)
    _verify(graph)
    return graph


def rewritten_copy(graph: Graph) -> tuple[Graph, list[int | None]]:
    """The rewrite applied to a copy of ``graph`` (left untouched), and for each node of the
    copy the index of the node of ``graph`` it stands for; an inserted conversion stands for
    the node it serves (its input's first reader, its output's producer). Graphs without
    quantized uint8 tensors (and non-TFLite graphs) are returned as they are (no copy)."""
    if not _applies(graph):
        return graph, list(range(len(graph.nodes)))
    memo: dict[int, object] = {}
    g2 = copy.deepcopy(graph, memo)
    index_of = {id(memo[id(n)]): i for i, n in enumerate(graph.nodes)}
    served = _rewrite(g2)
    _verify(g2)
    owner = [index_of.get(id(n), index_of.get(served.get(id(n), -1))) for n in g2.nodes]
    return g2, owner
