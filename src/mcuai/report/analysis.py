"""The analysis of a model: per-layer cost and memory, totals and the quantization scheme.

Everything here is computed from the optimized IR and the memory plan; the console table and
the JSON report (schema in ``docs/analyze-json.md``) are two renderings of the same data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from mcuai import __version__
from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.lower.program import Call, const_arrays
from mcuai.memory.liveness import MemoryLayout
from mcuai.ops import get_op
from mcuai.passes.schedule import schedule_info
from mcuai.report.quant_scheme import QuantScheme, describe_scheme

SCHEMA_VERSION = 1

#: Ops that only convert between representations (not "float fallback" themselves).
CONVERSION_OPS = {"quantize", "dequantize"}


def tensor_quant_text(t: Tensor) -> str:
    """E.g. ``int8 sa s=0.0039 zp=-128``, ``int8 ss per-axis(0) 8ch``, ``float32``."""
    if t.quant is None or not t.dtype.is_integer:
        return t.dtype.value
    sym = "s" if t.quant.symmetric else "a"
    sign = "u" if t.dtype is DType.UINT8 else "s"
    return f"{t.dtype.value} {sign}{sym} {t.quant.describe()}"


def tensor_json(t: Tensor, in_arena: bool | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": t.name,
        "shape": list(t.shape),
        "dtype": t.dtype.value,
        "bytes": t.nbytes,
        "quant": None,
    }
    if t.quant is not None:
        d["quant"] = {
            "scale": [float(s) for s in t.quant.scale.reshape(-1)],
            "zero_point": [int(z) for z in t.quant.zero_point.reshape(-1)],
            "axis": t.quant.axis,
        }
    if in_arena is not None:
        d["in_arena"] = in_arena
    return d


def runs_in(n: Node) -> str:
    """``integer``, ``float`` (fallback) or ``conversion`` (quantize/dequantize)."""
    if n.op in CONVERSION_OPS:
        return "conversion"
    data = [t for t in [*n.inputs[:1], *n.outputs] if t is not None]
    if any(t.dtype is DType.FLOAT32 for t in data):
        return "float"
    return "integer"


@dataclass
class LayerReport:
    index: int
    name: str
    op: str
    fused_activation: str | None
    runs_in: str
    view: bool
    output_shapes: list[list[int]]
    output_dtype: str
    quant: str
    macc: int
    weights_bytes: int
    activation_bytes: int
    kernels: list[str] = field(default_factory=list)  # C kernels generate will call
    no_kernel: str | None = None  # why generate cannot handle this layer yet
    in_place: bool = False  # the output overwrites a dead input (same buffer)


@dataclass
class BufferReport:
    """One buffer of the memory plan: a storage group (tensors sharing storage) or a kernel
    scratch area, where it is (pool, offset) and when it is live (steps, inclusive)."""

    id: int
    kind: str  # "tensor" or "scratch"
    name: str
    pool: str | None  # None: the single arena
    offset: int
    size: int
    first: int
    last: int
    tensors: list[str]


@dataclass
class StepReport:
    """Step ``step`` of the plan runs generated layer ``step``, reported as ``layer``."""

    step: int
    layer: int | None  # index in ``layers`` (an inserted uint8 conversion: the layer served)
    op: str
    name: str


@dataclass
class PoolReport:
    name: str
    capacity: int
    used: int
    fast: bool


@dataclass
class BudgetCheck:
    """Needed vs available bytes of one budget (``ram``, ``flash``, ``pool <name>``)."""

    what: str
    needed: int
    available: int

    @property
    def margin(self) -> int:
        return self.available - self.needed

    @property
    def fits(self) -> bool:
        return self.needed <= self.available

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "needed": self.needed,
            "available": self.available,
            "margin": self.margin,
            "fits": self.fits,
        }


@dataclass
class Analysis:
    model_path: str
    model_format: str
    model_name: str
    layers: list[LayerReport]
    inputs: list[Tensor]
    outputs: list[Tensor]
    inputs_in_arena: bool
    outputs_in_arena: bool
    macc: int
    weights_bytes: int
    arena_bytes: int
    lower_bound_bytes: int
    alignment: int
    heuristic: str
    candidates: dict[str, int]
    scheme: QuantScheme
    warnings: list[str] = field(default_factory=list)
    buffers: list[BufferReport] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)
    pools: list[PoolReport] = field(default_factory=list)  # empty: one arena
    schedule: dict[str, Any] | None = None  # peaks of the original and the chosen order
    budgets: list[BudgetCheck] = field(default_factory=list)
    pool_error: str | None = None  # why the activations do not fit the memory pools
    prefer: str = "ram"  # 'ram': overlapping in place at the peak allowed; 'speed': not

    @property
    def input_bytes(self) -> int:
        return sum(t.nbytes for t in self.inputs)

    @property
    def ram_bytes(self) -> int:
        """Activation RAM: the arena (or all pools) plus the model I/O kept outside it."""
        outside = (0 if self.inputs_in_arena else self.input_bytes) + (
            0 if self.outputs_in_arena else self.output_bytes
        )
        return self.arena_bytes + outside

    @property
    def in_place_layers(self) -> int:
        return sum(1 for la in self.layers if la.in_place)

    @property
    def fits(self) -> bool | None:
        """``None`` without budgets or pools, else whether everything fits."""
        if not self.budgets and self.pool_error is None:
            return None
        return self.pool_error is None and all(b.fits for b in self.budgets)

    def check_budgets(self, target_ram: int | None, target_flash: int | None) -> None:
        """Add the RAM / flash budget checks (and one per memory pool)."""
        if target_ram is not None:
            self.budgets.append(BudgetCheck("ram", self.ram_bytes, target_ram))
        if target_flash is not None:
            self.budgets.append(BudgetCheck("flash", self.weights_bytes, target_flash))
        for p in self.pools:
            self.budgets.append(BudgetCheck(f"pool {p.name}", p.used, p.capacity))

    @property
    def output_bytes(self) -> int:
        return sum(t.nbytes for t in self.outputs)

    @property
    def float_layers(self) -> int:
        return sum(1 for la in self.layers if la.runs_in == "float")

    def to_json(self) -> dict[str, Any]:
        """The JSON report (``schema_version`` 1, documented in ``docs/analyze-json.md``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "mcuai", "version": __version__},
            "model": {
                "path": self.model_path,
                "format": self.model_format,
                "name": self.model_name,
            },
            "quantization": asdict(self.scheme),
            "inputs": [tensor_json(t, self.inputs_in_arena) for t in self.inputs],
            "outputs": [tensor_json(t, self.outputs_in_arena) for t in self.outputs],
            "layers": [asdict(la) for la in self.layers],
            "totals": {
                "layers": len(self.layers),
                "float_layers": self.float_layers,
                "macc": self.macc,
                "weights_bytes": self.weights_bytes,
                "arena_bytes": self.arena_bytes,
                "arena_lower_bound_bytes": self.lower_bound_bytes,
                "input_bytes": self.input_bytes,
                "output_bytes": self.output_bytes,
                "ram_bytes": self.ram_bytes,
                "in_place_layers": self.in_place_layers,
            },
            "memory": {
                "prefer": self.prefer,
                "alignment": self.alignment,
                "inputs_in_arena": self.inputs_in_arena,
                "outputs_in_arena": self.outputs_in_arena,
                "heuristic": self.heuristic,
                "candidates": dict(self.candidates),
                "schedule": self.schedule,
                "pools": [asdict(p) for p in self.pools],
                "steps": [asdict(st) for st in self.steps],
                "buffers": [asdict(b) for b in self.buffers],
            },
            "fit": None
            if self.fits is None
            else {
                "fits": self.fits,
                "checks": [b.to_json() for b in self.budgets],
                "pool_error": self.pool_error,
            },
            "warnings": list(self.warnings),
        }


def analyze_graph(
    graph: Graph,
    layout: MemoryLayout,
    model_path: str,
    inputs_in_arena: bool,
    outputs_in_arena: bool,
    lowered: dict[int, list[Call]] | None = None,
    no_kernel: dict[int, str] | None = None,
    planned: Graph | None = None,
    owner: list[int | None] | None = None,
) -> Analysis:
    """Build the :class:`Analysis` of an optimized graph and its memory layout.

    ``lowered`` maps node index -> kernel calls (what ``generate`` emits): weights bytes are
    then the exact constant arrays of the generated code (filters, biases, requantization and
    lookup tables, each distinct array once in the total); for nodes without calls the op's
    estimate is used. ``no_kernel`` maps node index -> why it cannot be generated yet.
    ``planned`` is the graph ``layout`` was planned on when it differs from ``graph`` (the
    uint8 -> int8 rewritten copy generate lowers), ``owner[j]`` the layer of ``graph`` its node
    ``j`` stands for.
    """
    lowered = lowered or {}
    no_kernel = no_kernel or {}
    layers: list[LayerReport] = []
    stored: dict[tuple[str, bytes], int] = {}
    estimated = 0
    for i, n in enumerate(graph.nodes):
        opdef = get_op(n.op)
        act = getattr(n.attrs, "act", None)
        act_name = act.value if act is not None and act.value != "none" else None
        out = n.output
        if i in lowered:
            arrays = const_arrays(lowered[i])
            wbytes = sum(int(a.nbytes) for a in arrays)
            for a in arrays:
                stored[(str(a.dtype), np.ascontiguousarray(a).tobytes())] = int(a.nbytes)
        else:
            wbytes = opdef.weights_bytes(n)
            estimated += wbytes
        layers.append(
            LayerReport(
                index=i,
                name=n.origin,
                op=opdef.describe(n),
                fused_activation=act_name,
                runs_in=runs_in(n),
                view=n.alias is not None and opdef.is_view,
                output_shapes=[list(t.shape) for t in n.outputs],
                output_dtype=out.dtype.value,
                quant=tensor_quant_text(out),
                macc=opdef.macc(n),
                weights_bytes=wbytes,
                activation_bytes=sum(t.nbytes for t in n.outputs),
                kernels=[c.kernel for c in lowered.get(i, [])],
                no_kernel=no_kernel.get(i),
            )
        )
    float_layers = sum(1 for la in layers if la.runs_in == "float")
    plan = layout.plan
    low = graph if planned is None else planned
    own: list[int | None] = list(range(len(low.nodes))) if owner is None else list(owner)
    for j, n in enumerate(low.nodes):
        k = own[j]
        if k is not None and n.alias is not None and not get_op(n.op).is_view:
            same = layout.shares_storage(n.input(n.alias), n.output)
            layers[k].in_place = layers[k].in_place or same
    buffers, steps, pools = memory_report(low, layout, own)
    return Analysis(
        prefer=graph.metadata.get("prefer", "ram"),
        model_path=model_path,
        model_format=graph.source,
        model_name=graph.name,
        layers=layers,
        inputs=list(graph.inputs),
        outputs=list(graph.outputs),
        inputs_in_arena=inputs_in_arena,
        outputs_in_arena=outputs_in_arena,
        macc=sum(la.macc for la in layers),
        weights_bytes=sum(stored.values()) + estimated,
        arena_bytes=plan.arena_size,
        lower_bound_bytes=plan.lower_bound,
        alignment=plan.alignment,
        heuristic=plan.heuristic,
        candidates=dict(plan.candidates),
        scheme=describe_scheme(graph, float_layers),
        warnings=list(graph.warnings),
        buffers=buffers,
        steps=steps,
        pools=pools,
        schedule=schedule_info(graph),
    )


def memory_report(
    graph: Graph, layout: MemoryLayout, owner: list[int | None]
) -> tuple[list[BufferReport], list[StepReport], list[PoolReport]]:
    """The plan as data: every arena buffer (sorted by pool, offset, first step), the steps and
    the pools."""
    pp = layout.pool_plan
    names = [p.name for p in pp.pools] if pp is not None else []
    ngroups = len(layout.groups)
    out: list[BufferReport] = []
    for b in layout.buffers:
        pool = names[layout.pool_of(b.id)] if pp is not None else None
        if b.id < ngroups:
            kind, tensors = "tensor", [t.name for t in layout.groups[b.id].members]
        else:
            kind, tensors = "scratch", []
        out.append(
            BufferReport(
                b.id,
                kind,
                b.name,
                pool,
                layout.plan.offsets[b.id],
                b.size,
                b.first,
                b.last,
                tensors,
            )
        )
    order = {n: k for k, n in enumerate(names)}
    out.sort(key=lambda r: (order.get(r.pool or "", 0), r.offset, r.first, r.id))
    steps = [
        StepReport(j, owner[j], get_op(n.op).describe(n), n.origin)
        for j, n in enumerate(graph.nodes)
    ]
    pools = (
        [PoolReport(p.name, p.size, pp.used(k), p.fast) for k, p in enumerate(pp.pools)]
        if pp is not None
        else []
    )
    return out, steps, pools
