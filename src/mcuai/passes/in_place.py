"""In-place execution of element-wise ops and activation functions.

A node ``n`` at step ``i`` gets ``n.alias = k`` (its output takes the storage of input ``k``;
the memory planner then gives both one buffer and the code generator passes the same pointer as
input and output) only when every condition holds:

1. ``n`` has exactly one output and no alias yet, and is not a view op.
2. ``n`` lowers to exactly one kernel call, that kernel is in :data:`IN_PLACE_KERNELS` (its
   source comment documents ``in == out`` as allowed) and input ``k`` is an operand the kernel
   allows to share storage with its output (``"any"``: any operand of the output's shape;
   ``"first"``: only the data operand, e.g. not the alpha of PRELU). ``generate`` (and
   ``analyze``) run this pass once more after the uint8 -> int8 rewrite of uint8 models, which
   gives those layers their int8 kernels, and check every alias again on the lowering they emit
   (:func:`confirm`), dropping it when the kernel chosen there is not in the table.
3. Input ``k`` is not a constant and has the output's byte size *and* element size, so element
   ``j`` of the output lies exactly over element ``j`` of the input (the documented kernels read
   element ``j`` before they write it, and never read another element after that). An operand
   of the output's size is never broadcast.
4. Input ``k`` is dead after step ``i``: no member of its storage group (the tensor, the views
   of it and the tensors it shares storage with through earlier in-place nodes) is read by a
   later step, and none is a graph output.
5. Graph inputs qualify (inside the arena the application rewrites them before every run; the
   arena holds no state between runs). When inputs are kept outside the arena, the buffer
   belongs to the application: :func:`mcuai.memory.liveness.storage_groups` then drops the
   alias and the output gets storage of its own. The same holds for outputs kept outside.

Among several qualifying inputs (``add(a, b)`` with both dead) the first that is not a graph
input is taken, else the first. Per-layer validation is unaffected: the observer is called
right after the layer with the output's pointer, which holds the output at that moment; what was
overwritten is dead by condition 4.

Kernels relied upon (their comments say ``in == out`` / "out may share storage with an input of
the output's shape"): ``mcu_lut_s8`` (int8 LOGISTIC, TANH, HARD_SWISH, RELU*, LEAKY_RELU),
``mcu_logistic_s16``, ``mcu_tanh_s16``, ``mcu_softmax_s8``, ``mcu_prelu_s8`` (data operand
only), ``mcu_add/sub/mul/maximum/minimum_s8/_s16``, the float kernels ``mcu_clamp_f32``,
``mcu_logistic_f32``, ``mcu_tanh_f32``, ``mcu_hard_swish_f32``, ``mcu_leaky_relu_f32``,
``mcu_softmax_f32``, ``mcu_add/sub/mul/maximum/minimum/prelu_f32``, and the requantizing
QUANTIZE kernels of equal element size ``mcu_quantize_s8_s8/_s8_u8/_u8_s8/_u8_u8/_s16_s16``.

Overlapping in place (second part of :func:`run`, :mod:`mcuai.memory.overlap`): a convolution,
depthwise convolution or max pooling (int8, lowered to its ``*_inplace_s8`` kernel) or a float
-> int8 QUANTIZE may write its output starting ``D`` bytes below its dead input, the two tied
in the plan rather than merged. These kernels are slower than the fast paths, so they are
chosen only where they lower the peak: starting from the plan with the element-wise aliases,
repeatedly take the steps where the lower bound of the live bytes (ties counted) peaks; if
every one of them is a candidate layer not yet in place (single output that is not a model
output, input dead after it as in condition 4, not a constant, and its lowering with
``alias`` set is a kernel of :data:`mcuai.memory.overlap.OVERLAP_KERNELS`), put them all in
place and go on while the peak
drops; stop at a peak step that cannot change. Then each chosen layer is taken back when the
planned arena does not grow without it (:func:`_prune`). Before that each chosen window layer
gets a direction (:func:`_directions`): forward, output below the input, or backward, output
above it (the kernels walk their pixels in either order), so that a chain of such layers
zigzags instead of drifting down. :func:`confirm` keeps such an alias
only when the emitted kernel is one of those. Layers writing a model output are left out: the
peaks worth the slower kernel are inside the network, and a single-layer model (the kernel
tests) keeps its fast kernel.

Concatenation by slices (first part of :func:`run`): a CONCATENATION (TFLite numerics,
int8/int16, no fused activation) along an axis with only 1s before it (so every input is one
contiguous block of the output) whose inputs are distinct tensors of the output's type and
quantization (a raw copy, no rescaling), none a constant, a model input or output, each dead
after the concat and starting at a multiple of 16 bytes in the output, and whose output is not
a model output: ``alias = 0`` on the concat, every input joins the output's storage at its
byte offset (:mod:`mcuai.memory.liveness`), so its producer writes straight into its slice and
the concat emits no code. Those groups take no overlapping in-place layer.

Split views: a SPLIT (TFLite numerics, int8/int16/uint8) along an axis with only 1s before it,
whose input is dead after it and neither a model input nor output, and whose outputs (not
model outputs) start at multiples of 16 bytes, gets ``alias = 0``: every output is a view of
its slice of the input and the split emits no code.

Not done: strided slices as views, average pooling in place.
"""

from __future__ import annotations

import numpy as np

from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.lowering import lower_node
from mcuai.lower.program import Call, TensorRef
from mcuai.memory.liveness import overlap_ties, plan_memory, storage_groups
from mcuai.memory.overlap import OVERLAP_KERNELS, WINDOW_OPS, is_overlapping, overlap_offset
from mcuai.memory.planner import Buffer
from mcuai.ops import get_op
from mcuai.ops._common import Activation

#: Kernels documented safe with ``out`` sharing storage with an input of the output's size:
#: ``"any"`` operand, or only the ``"first"`` (data) operand.
IN_PLACE_KERNELS: dict[str, str] = {
    **{
        k: "first"
        for k in (
            "mcu_lut_s8",
            "mcu_logistic_s16",
            "mcu_tanh_s16",
            "mcu_softmax_s8",
            "mcu_prelu_s8",
            "mcu_clamp_f32",
            "mcu_logistic_f32",
            "mcu_tanh_f32",
            "mcu_hard_swish_f32",
            "mcu_leaky_relu_f32",
            "mcu_softmax_f32",
            "mcu_quantize_s8_s8",
            "mcu_quantize_s8_u8",
            "mcu_quantize_u8_s8",
            "mcu_quantize_u8_u8",
            "mcu_quantize_s16_s16",
        )
    },
    **{
        f"mcu_{op}_{t}": "any"
        for op in ("add", "sub", "mul", "maximum", "minimum")
        for t in ("s8", "s16", "f32")
    },
    "mcu_prelu_f32": "first",
    # ONNX Runtime-rule kernels (mcuai.lower.ort): element j read before it is written
    "mcu_add_ort_s8": "any",
    "mcu_mul_ort_s8": "any",
    **{
        k: "first"
        for k in (
            "mcu_softmax_ort_s8",
            "mcu_softmax_ort_f32",
            "mcu_logistic_ort_f32",
            "mcu_tanh_ort_f32",
            "mcu_erf_ort_f32",
        )
    },
}


def lowered(node: Node) -> list[Call] | None:
    """The node's kernel calls, or ``None`` when it has no kernel (yet). A probe: the lowering
    of ``generate`` (on the graph as generated, e.g. after the uint8 -> int8 rewrite) is the one
    that reports problems, so any failure here only means "no in place, no scratch known"."""
    try:
        return lower_node(node)
    except Exception:  # McuaiError (no kernel) or a lowering that expects the rewritten graph
        return None


def candidates(node: Node, calls: list[Call] | None = None) -> list[int]:
    """Input indices whose storage ``node``'s kernel may overwrite with its output (conditions
    1-3 of the module docstring; liveness, condition 4, is up to the caller), in input order.
    ``calls``: the node's lowering when the caller has it; otherwise the node is lowered here
    (only when its sizes qualify). ``[]`` when it has no kernel."""
    if node.alias is not None:
        return []
    return _allowed(node, calls)


def confirm(node: Node, calls: list[Call]) -> None:
    """Drop ``node``'s in-place alias unless ``calls`` (its lowering as generated) still allow
    it. Lowering happens on the graph as generated (e.g. after the uint8 -> int8 rewrite), which
    may choose another kernel than the one this pass saw; giving the output storage of its own
    is always safe."""
    alias = node.alias
    if alias is None or get_op(node.op).is_view:
        return
    if node.op in ("concat", "split"):
        if calls:  # slices in place need a lowering without code: keep the copies
            node.alias = None
    elif is_overlapping(node):
        if len(calls) != 1 or calls[0].kernel not in OVERLAP_KERNELS:
            node.alias = None
    elif alias not in _allowed(node, calls):
        node.alias = None


def _allowed(node: Node, calls: list[Call] | None) -> list[int]:
    if len(node.outputs) != 1 or get_op(node.op).is_view:
        return []
    y = node.output
    sized = [
        k
        for k, x in enumerate(node.inputs)
        if x is not None
        and not x.is_const
        and x.nbytes == y.nbytes
        and x.dtype.itemsize == y.dtype.itemsize
    ]
    if not sized or y.nbytes == 0:
        return []
    if calls is None:
        calls = lowered(node)
    if calls is None or len(calls) != 1 or calls[0].kernel not in IN_PLACE_KERNELS:
        return []
    refs = [a for a in calls[0].args if isinstance(a, TensorRef)]
    outs = [r.tensor for r in refs if r.out]
    ins = [r.tensor for r in refs if not r.out]
    if len(outs) != 1 or outs[0] is not y or not ins:
        return []
    allowed = ins[:1] if IN_PLACE_KERNELS[calls[0].kernel] == "first" else ins
    return [k for k in sized if any(node.inputs[k] is t for t in allowed)]


class _Storage:
    """Union-find over tensors sharing storage, with each group's last reading step and
    whether it holds a graph output."""

    def __init__(self, graph: Graph) -> None:
        self.parent: dict[int, int] = {}
        self.last_read: dict[int, int] = {}
        self.is_output: dict[int, bool] = {}
        self.is_input: dict[int, bool] = {}
        self._concats = [n for n in graph.nodes if n.op in ("concat", "split")]
        for t in graph.inputs:
            self._add(t)
            self.is_input[t.uid] = True
        for t in graph.outputs:
            self._add(t)
            self.is_output[t.uid] = True
        for i, n in enumerate(graph.nodes):
            for x in n.inputs:
                if x is not None and not x.is_const:
                    self._add(x)
                    self.last_read[x.uid] = max(self.last_read[x.uid], i)
            for t in n.outputs:
                self._add(t)
        for n in graph.nodes:
            if n.alias is not None and n.op == "split":
                for y in n.outputs:
                    self.union(n.input(0), y)
            elif n.alias is not None:
                for x in n.inputs if n.op == "concat" else [n.input(n.alias)]:
                    assert x is not None
                    self.union(x, n.output)

    def _add(self, t: Tensor) -> None:
        if t.uid not in self.parent:
            self.parent[t.uid] = t.uid
            self.last_read[t.uid] = -1
            self.is_output[t.uid] = False
            self.is_input[t.uid] = False

    def find(self, t: Tensor) -> int:
        u = t.uid
        while self.parent[u] != u:
            self.parent[u] = self.parent[self.parent[u]]
            u = self.parent[u]
        return u

    def union(self, a: Tensor, b: Tensor) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        self.parent[rb] = ra
        self.last_read[ra] = max(self.last_read[ra], self.last_read[rb])
        self.is_output[ra] = self.is_output[ra] or self.is_output[rb]
        self.is_input[ra] = self.is_input[ra] or self.is_input[rb]

    @property
    def sliced(self) -> set[int]:
        """Roots of groups holding a concatenation written by its producers or a split's
        views."""
        return {self.find(n.output) for n in self._concats if n.alias is not None}

    def dead_after(self, t: Tensor, step: int) -> bool:
        r = self.find(t)
        return self.last_read[r] <= step and not self.is_output[r]


def run(graph: Graph) -> Graph:
    store = _Storage(graph)
    _concat_slices(graph, store)
    _split_views(graph, store)
    for i, n in enumerate(graph.nodes):
        ks = [k for k in candidates(n) if store.dead_after(n.input(k), i)]
        if not ks:
            continue
        ks.sort(key=lambda k: (store.is_input[store.find(n.input(k))], k))
        n.alias = ks[0]
        store.union(n.input(ks[0]), n.output)
    _overlap(graph, store)
    return graph


def _concat_slices(graph: Graph, store: _Storage) -> None:
    """Let the producers of a CONCATENATION write straight into their slices of its output
    (module docstring): ``alias = 0`` on the concat node, which then emits no code."""
    outputs = {t.uid for t in graph.outputs}
    for i, n in enumerate(graph.nodes):
        if n.op != "concat" or n.alias is not None or n.numerics != "tflite":
            continue
        y, xs = n.output, n.inputs
        a = n.attrs
        if (
            len(n.outputs) != 1
            or y.uid in outputs
            or y.dtype not in (DType.INT8, DType.INT16)
            or a.act is not Activation.NONE
            or any(d != 1 for d in y.shape[: a.axis])
        ):
            continue
        roots = {store.find(y)}
        start, ok = 0, True
        for x in xs:
            if x is None or x.is_const or x.dtype is not y.dtype:
                ok = False
                break
            r = store.find(x)
            same_q = (x.quant is None and y.quant is None) or (
                x.quant is not None and x.quant.same_as(y.quant)
            )
            if (
                not same_q
                or r in roots
                or store.is_input[r]
                or store.is_output[r]
                or not store.dead_after(x, i)
                or start % 16
            ):
                ok = False
                break
            roots.add(r)
            start += x.nbytes
        if ok and xs:
            n.alias = 0
            for x in xs:
                assert x is not None
                store.union(x, y)


def _split_views(graph: Graph, store: _Storage) -> None:
    """Make the outputs of a SPLIT views of their contiguous slices of the input (module
    docstring): ``alias = 0`` on the split node, which then emits no code."""
    outputs = {t.uid for t in graph.outputs}
    for i, n in enumerate(graph.nodes):
        if n.op != "split" or n.alias is not None or n.numerics != "tflite" or not n.inputs:
            continue
        x = n.input(0)
        r = store.find(x)
        if (
            x.is_const
            or x.dtype not in (DType.INT8, DType.INT16, DType.UINT8)
            or any(d != 1 for d in x.shape[: n.attrs.axis])
            or store.is_input[r]
            or store.is_output[r]
            or not store.dead_after(x, i)
        ):
            continue
        start, ok = 0, True
        for y in n.outputs:
            if y.uid in outputs or y.dtype is not x.dtype or start % 16:
                ok = False
                break
            start += y.nbytes
        if ok:
            n.alias = 0
            for y in n.outputs:
                store.union(x, y)


def _overlap_candidate(node: Node, step: int, store: _Storage) -> bool:
    """Could ``node`` run as an overlapping in-place layer (module docstring)?"""
    if node.alias is not None or len(node.outputs) != 1 or not node.inputs:
        return False
    x = node.inputs[0]
    if x is None or x.is_const or not store.dead_after(x, step) or x.nbytes == 0:
        return False
    if store.is_output[store.find(node.output)]:
        return False
    if store.find(x) in store.sliced or store.find(node.output) in store.sliced:
        return False
    if node.op not in WINDOW_OPS and not (
        node.op == "quantize" and x.dtype.itemsize > node.output.dtype.itemsize
    ):
        return False
    node.alias = 0
    calls = lowered(node)
    node.alias = None
    return calls is not None and len(calls) == 1 and calls[0].kernel in OVERLAP_KERNELS


def _live_bytes(graph: Graph) -> np.ndarray:
    """Bytes live at each step with the current aliases (model I/O in the arena, alignment
    16, ties counted as overlapping): the quantity the peak is read from."""
    groups, index = storage_groups(graph)
    steps = max(len(graph.nodes), 1)
    need = np.zeros(steps + 1, dtype=np.int64)
    for g in groups:
        need[g.first] += g.size
        need[g.last + 1] -= g.size
    need = np.cumsum(need)[:steps]
    for gx, gy, d in overlap_ties(graph, index, groups, 16):
        a, b = groups[gx], groups[gy]
        bx, by = Buffer(gx, a.size, a.first, a.last), Buffer(gy, b.size, b.first, b.last)
        lo, hi = max(a.first, b.first), min(a.last, b.last)
        if lo <= hi:
            shared = max(0, min(d + bx.size, by.size) - d)
            need[lo : hi + 1] -= shared
    return need


#: Overlapping in place on (the default). ``scripts/bench_memory.py --cost`` turns it off to
#: measure what the slower in-place kernels cost.
OVERLAP = True


#: ``graph.metadata["prefer"]``: ``"ram"`` (default) allows overlapping in place; ``"speed"``
#: keeps every window layer on its fast kernel (element-wise in place costs nothing and stays).
PREFER_KEY = "prefer"
PREFER_CHOICES = ("ram", "speed")


def _overlap(graph: Graph, store: _Storage) -> None:
    """Put window ops / narrowing QUANTIZE in place with an overlap where that lowers the
    peak (module docstring); skipped when the graph prefers speed."""
    if not OVERLAP or graph.metadata.get(PREFER_KEY, "ram") == "speed":
        return
    cands = {i for i, n in enumerate(graph.nodes) if _overlap_candidate(n, i, store)}
    if not cands:
        return
    need = _live_bytes(graph)
    while True:
        peak = int(need.max())
        steps = [int(i) for i in np.flatnonzero(need == peak)]
        if not all(i in cands and graph.nodes[i].alias is None for i in steps):
            break
        for i in steps:
            graph.nodes[i].alias = 0
        new = _live_bytes(graph)
        if int(new.max()) >= peak:
            for i in steps:
                graph.nodes[i].alias = None
            break
        need = new
    chosen = [n for i, n in enumerate(graph.nodes) if i in cands and n.alias is not None]
    _directions(graph, chosen)
    _prune(graph, chosen)


def _directions(graph: Graph, chosen: list[Node]) -> None:
    """Forward (output below the input) or backward (output above) for each chosen window
    layer, in schedule order: the one that keeps the chain's extent (the span of its buffers'
    relative offsets, which the plan reserves while the chain lives) smaller; forward on a tie.
    A chain of forward layers would drift down by the sum of the offsets."""
    groups, index = storage_groups(graph)
    rel: dict[int, int] = {}  # group -> offset relative to its chain
    chain: dict[int, int] = {}  # group -> chain id
    span: dict[int, tuple[int, int]] = {}  # chain id -> (lowest, highest end)
    for n in chosen:
        gx, gy = index[n.input(0).uid], index[n.output.uid]
        if gx not in chain:
            chain[gx], rel[gx] = gx, 0
            span[gx] = (0, groups[gx].size)
        c, (lo, hi), size = chain[gx], span[chain[gx]], groups[gy].size
        options = [(False, rel[gx] - _aligned(overlap_offset(n, False)))]
        if n.op in WINDOW_OPS:
            options.append((True, rel[gx] + _aligned(overlap_offset(n, True))))
        back, at = min(options, key=lambda o: (max(hi, o[1] + size) - min(lo, o[1]), o[0]))
        n.backward = back
        chain[gy], rel[gy] = c, at
        span[c] = (min(lo, at), max(hi, at + size))


def _aligned(d: int) -> int:
    return (d + 15) // 16 * 16


def _prune(graph: Graph, chosen: list[Node]) -> None:
    """Drop the overlapping layers the planned arena does not need. Ties are rigid: a chain of
    them drifts down by the sum of the offsets, which the lower bound does not see; taking a
    layer out of a chain lets the planner place the two halves independently. In schedule
    order, a layer goes back to its fast kernel when the arena (planned as ``plan_memory``
    does, without scratch) does not grow without it."""
    best = plan_memory(graph).plan.arena_size
    for n in chosen:
        n.alias = None
        size = plan_memory(graph).plan.arena_size
        if size <= best:
            best = size
        else:
            n.alias = 0
