"""Render a :class:`~mcuai.validate.run.ValidationReport` as rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcuai.validate.metrics import Metrics, format_metric
from mcuai.validate.run import ValidationReport

COLUMNS = ("rmse", "mae", "mean", "std", "nse", "l2r", "cos", "acc", "exact", "LSB")


def _cells(m: Metrics) -> list[str]:
    bit = "n/a" if m.bit_exact is None else f"{100 * m.bit_exact:.2f}%"
    return [
        format_metric(m.rmse),
        format_metric(m.mae),
        format_metric(m.mean),
        format_metric(m.std),
        format_metric(m.nse),
        format_metric(m.l2r),
        format_metric(m.cos),
        "n/a" if m.acc is None else f"{100 * m.acc:.2f}%",
        bit,
        format_metric(m.max_lsb),
    ]


def print_validation(r: ValidationReport, console: Console) -> None:
    console.print(
        f"validated [bold]{escape(r.model)}[/] on {r.target}: {r.samples} sample(s) from "
        f"{escape(r.inputs_from)}; reference: {escape(r.reference)}"
    )
    t = Table(title="outputs", title_justify="left")
    t.add_column("pair", no_wrap=True)
    t.add_column("out", justify="right")
    for c in COLUMNS:
        t.add_column(c, justify="right")
    for row in r.rows:
        t.add_row(row.pair, str(row.output), *_cells(row.metrics))
    console.print(t)
    if r.layers is not None:
        lt = Table(title="per layer (C vs original)", title_justify="left")
        for c in ("#", "layer", "op", "bit-exact", "max LSB", "rmse", "cos"):
            lt.add_column(c, justify="right" if c != "layer" else "left", overflow="fold")
        for la in r.layers:
            m = la.metrics
            mark = "[red]" if la.diverges else ""
            end = "[/]" if la.diverges else ""
            bit = "n/a" if m.bit_exact is None else f"{100 * m.bit_exact:.2f}%"
            lt.add_row(
                str(la.layer),
                f"{mark}{escape(la.origin)}{end}",
                la.op,
                bit,
                format_metric(m.max_lsb),
                format_metric(m.rmse),
                format_metric(m.cos),
            )
        console.print(lt)
        fd = r.first_divergence
        if fd is None:
            console.print("every compared layer matches the reference")
        else:
            m = fd.metrics
            console.print(
                f"[red]first divergence:[/] layer {fd.layer} '{escape(fd.origin)}' ({fd.op}): "
                f"bit-exact {format_metric(None if m.bit_exact is None else 100 * m.bit_exact)}%"
                f", max {format_metric(m.max_lsb)} LSB, rmse {format_metric(m.rmse)}"
            )
        if r.unmatched_layers:
            console.print(f"{len(r.unmatched_layers)} layer output(s) have no reference tensor")
    exact = r.bit_exact
    if exact is not None:
        console.print(
            "C model vs original: [green]bit-exact[/]"
            if exact
            else "C model vs original: [red]NOT bit-exact[/]"
        )
