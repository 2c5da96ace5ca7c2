"""Render a :class:`~mcuai.benchmark.BenchmarkReport` as rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcuai.benchmark import BenchmarkReport


def print_benchmark(r: BenchmarkReport, console: Console) -> None:
    if r.layers:
        t = Table(
            title=f"{escape(r.model)} on {r.target} (-{r.opt}, prefer {r.prefer}): "
            "executed instructions per layer",
            title_justify="left",
        )
        for c, j in (
            ("#", "right"),
            ("layer", "left"),
            ("op", "left"),
            ("kernel", "left"),
            ("MACC", "right"),
            ("instructions", "right"),
            ("share", "right"),
            ("instr/MACC", "right"),
        ):
            t.add_column(c, justify=j, overflow="fold")  # type: ignore[arg-type]
        total = max(sum(la.instructions for la in r.layers), 1)
        for la in r.layers:
            ratio = f"{la.instructions / la.macc:.2f}" if la.macc else "-"
            t.add_row(
                str(la.index),
                escape(la.origin),
                la.op,
                ", ".join(la.kernels) or "view",
                f"{la.macc:,}",
                f"{la.instructions:,}",
                f"{100 * la.instructions / total:.1f}%",
                ratio,
            )
        console.print(t)
    s = Table(title="totals", title_justify="left", show_header=False)
    s.add_column(no_wrap=True)
    s.add_column()
    per_macc = f" ({r.instructions / r.macc:.2f} per MACC)" if r.macc else ""
    s.add_row("instructions / inference", f"{r.instructions:,}{per_macc}")
    s.add_row("deterministic", "yes, " + " = ".join(f"{v:,}" for v in r.runs))
    s.add_row("MACC", f"{r.macc:,}")
    s.add_row(
        "code (.text, network + kernels)",
        f"{r.code_bytes:,} B = {r.network_code_bytes:,} network + {r.kernels_code_bytes:,} kernels",
    )
    s.add_row("weights (.rodata)", f"{r.weights_bytes:,} B")
    s.add_row("other constants", f"{r.model_rodata_bytes:,} B")
    s.add_row("activation arena", f"{r.arena_bytes:,} B")
    s.add_row("stack (measured)", f"{r.stack_bytes:,} B")
    s.add_row("target", f"{r.target} ({r.machine}, QEMU -icount shift=0)")
    s.add_row("toolchain", escape(r.toolchain))
    console.print(s)
    console.print("Figures are executed instructions, not cycles.")
