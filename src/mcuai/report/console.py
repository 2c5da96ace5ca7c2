"""Render an :class:`~mcuai.report.analysis.Analysis` as rich terminal tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcuai.report.analysis import Analysis, tensor_quant_text


def _n(v: int) -> str:
    return f"{v:,}"


def _b(v: int) -> str:
    return f"{v:,} B ({v / 1024:.2f} KiB)" if v >= 1024 else f"{v:,} B"


def print_analysis(a: Analysis, console: Console) -> None:
    """Per-layer table, then I/O and totals."""
    t = Table(title=f"{a.model_name} ({a.model_format}): layers", title_justify="left")
    for col, just in [
        ("#", "right"),
        ("name", "left"),
        ("op", "left"),
        ("runs in", "left"),
        ("output", "left"),
        ("type / quantization", "left"),
        ("MACC", "right"),
        ("weights B", "right"),
        ("act. B", "right"),
    ]:
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for la in a.layers:
        shapes = " ".join("x".join(str(d) for d in s) for s in la.output_shapes)
        runs = {"integer": "int", "float": "[yellow]float[/]", "conversion": "q/dq"}[la.runs_in]
        if la.no_kernel is not None:
            runs = "[red]no kernel[/]"
        act = "0 (view)" if la.view else _n(la.activation_bytes)
        t.add_row(
            str(la.index),
            escape(la.name),
            la.op,
            runs,
            shapes,
            la.quant,
            _n(la.macc),
            _n(la.weights_bytes),
            act,
        )
    console.print(t)

    io = Table(title="inputs and outputs", title_justify="left")
    for col in ("", "name", "shape", "type / quantization", "bytes", "in arena"):
        io.add_column(col)
    for kind, tensors, inside in (
        ("input", a.inputs, a.inputs_in_arena),
        ("output", a.outputs, a.outputs_in_arena),
    ):
        for x in tensors:
            io.add_row(
                kind,
                escape(x.name),
                "x".join(str(d) for d in x.shape),
                tensor_quant_text(x),
                _n(x.nbytes),
                "yes" if inside else "no",
            )
    console.print(io)

    tot = Table(title="totals", title_justify="left", show_header=False)
    tot.add_column(justify="left", no_wrap=True)
    tot.add_column(justify="left")
    tot.add_row("layers", f"{len(a.layers)} ({a.float_layers} in float)")
    tot.add_row("MACC", _n(a.macc))
    tot.add_row("weights (ROM)", _b(a.weights_bytes))
    where = "inside" if a.inputs_in_arena and a.outputs_in_arena else "partly outside"
    tot.add_row("activations arena (RAM)", f"{_b(a.arena_bytes)}, model I/O {where}")
    tot.add_row("arena lower bound", _b(a.lower_bound_bytes))
    tot.add_row("input / output", f"{_b(a.input_bytes)} / {_b(a.output_bytes)}")
    tot.add_row("quantization", f"{a.scheme.label}: {a.scheme.description}")
    tot.add_row("arena plan", f"{a.heuristic}, alignment {a.alignment}")
    console.print(tot)
    missing = [la for la in a.layers if la.no_kernel is not None]
    if missing:
        console.print(
            f"[red]{len(missing)} layer(s) have no kernel yet[/] (generate will refuse the model):"
        )
        for la in missing:
            console.print(f"  {escape(la.no_kernel or '')}", soft_wrap=True)
