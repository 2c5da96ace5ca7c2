"""The op contract: every op in :mod:`mcuai.ops` is one :class:`OpDef` subclass in one file.

An op knows its attribute dataclass, checks a node's arity and attributes, infers output shapes
(the verifier compares them with the declared shapes), counts multiply-accumulates (MACC) with a
documented formula, and counts the constant bytes the generated code stores for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mcuai.errors import GraphError
from mcuai.ir.dtypes import DType
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor

if TYPE_CHECKING:
    from mcuai.lower.program import Call


class OpDef:
    """Base class of all ops. Subclasses set ``name``, ``attrs_type`` and the arity bounds."""

    name: ClassVar[str]
    attrs_type: ClassVar[type | None] = None
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int] = 1
    num_outputs: ClassVar[int | None] = 1  # None: variable (e.g. split)
    #: True for ops whose output may share the input's storage (no data movement at all).
    is_view: ClassVar[bool] = False

    # ---- verification -------------------------------------------------------------------
    def verify(self, node: Node, where: str) -> None:
        """Check arity, attribute type and that inferred shapes match the declared ones."""
        n_in = len(node.inputs)
        if not self.min_inputs <= n_in <= self.max_inputs:
            raise GraphError(
                f"{where}: expects {self.min_inputs}..{self.max_inputs} inputs, has {n_in}"
            )
        if self.num_outputs is not None and len(node.outputs) != self.num_outputs:
            raise GraphError(f"{where}: expects {self.num_outputs} outputs")
        if self.attrs_type is not None and not isinstance(node.attrs, self.attrs_type):
            raise GraphError(f"{where}: attributes are not {self.attrs_type.__name__}")
        try:
            shapes = self.infer_shapes(node)
        except (ValueError, IndexError, ZeroDivisionError) as e:
            raise GraphError(f"{where}: {e}") from None
        for t, s in zip(node.outputs, shapes, strict=True):
            if tuple(t.shape) != tuple(s):
                raise GraphError(
                    f"{where}: output '{t.name}' declared {t.type_str()}, inferred shape {list(s)}"
                )
        self.check(node, where)

    def check(self, node: Node, where: str) -> None:
        """Op-specific checks beyond shapes (dtypes, quantization); default: none."""

    def infer_shapes(self, node: Node) -> list[tuple[int, ...]]:
        """Output shapes from input shapes and attributes. Raise ValueError when inconsistent."""
        raise NotImplementedError

    # ---- cost accounting ----------------------------------------------------------------
    def macc(self, node: Node) -> int:
        """Multiply-accumulate count (see each op's docstring for its formula)."""
        return 0

    def weights_bytes(self, node: Node) -> int:
        """Bytes of constants the generated code stores for this node (flash).

        Default: every constant input. Ops with requantization add their per-channel
        multiplier/shift tables (see :func:`requant_table_bytes`).
        """
        return sum(t.nbytes for t in node.inputs if t is not None and t.is_const)

    # ---- lowering ---------------------------------------------------------------------
    def lower(self, node: Node) -> list[Call]:
        """Kernel calls that compute ``node`` (see :mod:`mcuai.lower`). Views return ``[]``."""
        from mcuai.lower.context import unsupported
        from mcuai.lower.uint8 import from_uint8

        types = " -> ".join(
            ", ".join(t.dtype.value for t in ts if t is not None and not t.is_const) or "-"
            for ts in (node.inputs, node.outputs)
        )
        if from_uint8(node):  # see mcuai.passes.uint8_to_int8
            types += " (uint8 tensors stored as int8)"
        raise unsupported(node, f"no kernel for {types} yet")

    def describe(self, node: Node) -> str:
        """Op name for reports, with fused ops, e.g. ``conv2d+relu6``."""
        act = getattr(node.attrs, "act", None)
        if act is not None and getattr(act, "value", "none") != "none":
            return f"{self.name}+{act.value}"
        return self.name


def is_quantized(t: Tensor) -> bool:
    """True for integer tensors holding quantized real values (int8/uint8/int16 with params)."""
    return t.dtype in (DType.INT8, DType.UINT8, DType.INT16) and t.quant is not None


def requant_table_bytes(out_channels: int, per_channel: bool) -> int:
    """Flash for requantization parameters: int32 multiplier + int32 shift per channel
    (one pair for per-tensor weights)."""
    return 8 * (out_channels if per_channel else 1)


def attrs_of(node: Node, cls: type[Any]) -> Any:
    """Typed access to node attributes (callers annotate the result)."""
    assert isinstance(node.attrs, cls), f"{node.origin}: attrs are not {cls.__name__}"
    return node.attrs


class WeightedOp(OpDef):
    """Ops with a constant filter at input 1 and an optional bias at input 2 (conv, FC, ...).

    Quantized variants store a requantization table (see :func:`requant_table_bytes`), counted
    in :meth:`weights_bytes`, and need quantized filter and output when the input is quantized.
    """

    min_inputs = 2
    max_inputs = 3

    def check(self, node: Node, where: str) -> None:
        x, w, y = node.input(0), node.input(1), node.output
        if is_quantized(x) and not (is_quantized(w) and is_quantized(y)):
            raise GraphError(f"{where}: quantized input needs quantized weights and output")

    def weights_bytes(self, node: Node) -> int:
        extra = 0
        w = node.input(1)
        if is_quantized(node.output) and w.quant is not None:
            extra = requant_table_bytes(node.output.shape[-1], w.quant.per_axis)
        return super().weights_bytes(node) + extra
