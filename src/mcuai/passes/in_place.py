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

Not done here (they need kernel changes): depthwise convolution in place (channel by channel
with a small scratch), concatenation by writing producers into the slices of the output, split
and strided slices as views, pooling in place, and conversions that change the element size.
"""

from __future__ import annotations

from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.lowering import lower_node
from mcuai.lower.program import Call, TensorRef
from mcuai.ops import get_op

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
    if alias is not None and not get_op(node.op).is_view and alias not in _allowed(node, calls):
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
            if n.alias is not None:
                self.union(n.input(n.alias), n.output)

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

    def dead_after(self, t: Tensor, step: int) -> bool:
        r = self.find(t)
        return self.last_read[r] <= step and not self.is_output[r]


def run(graph: Graph) -> Graph:
    store = _Storage(graph)
    for i, n in enumerate(graph.nodes):
        ks = [k for k in candidates(n) if store.dead_after(n.input(k), i)]
        if not ks:
            continue
        ks.sort(key=lambda k: (store.is_input[store.find(n.input(k))], k))
        n.alias = ks[0]
        store.union(n.input(ks[0]), n.output)
    return graph
