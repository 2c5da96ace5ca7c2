"""Render an :class:`~mcuai.report.analysis.Analysis` as rich terminal tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcuai.report.analysis import Analysis, BufferReport, tensor_quant_text


def _n(v: int) -> str:
    return f"{v:,}"


def _b(v: int) -> str:
    return f"{v:,} B ({v / 1024:.2f} KiB)" if v >= 1024 else f"{v:,} B"


def print_analysis(a: Analysis, console: Console, verbose: bool = False) -> None:
    """Per-layer table, then I/O and totals; with ``verbose`` the memory timeline too; the
    fit verdict last."""
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
        if la.in_place:
            act = "0 (in place)"
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
    if a.pools:
        tot.add_row(
            "memory pools",
            ", ".join(
                f"{escape(p.name)} {_n(p.used)} / {_n(p.capacity)} B"
                + (" (fast)" if p.fast else "")
                for p in a.pools
            ),
        )
    if a.schedule is not None:
        sch = a.schedule
        how = {"chain": "one order", "exact": "exact search", "beam": "beam search"}
        change = "reordered" if sch["reordered"] else "model order kept"
        tot.add_row(
            "execution order",
            f"peak {_b(sch['peak_after'])}, model order {_b(sch['peak_before'])} "
            f"({how.get(str(sch['search']), str(sch['search']))}, {change})",
        )
    tot.add_row("in place", f"{a.in_place_layers} layer(s) write over a dead input")
    tot.add_row("input / output", f"{_b(a.input_bytes)} / {_b(a.output_bytes)}")
    tot.add_row("quantization", f"{a.scheme.label}: {a.scheme.description}")
    tot.add_row("arena plan", f"{a.heuristic}, alignment {a.alignment}")
    console.print(tot)
    if verbose:
        print_timeline(a, console)
    missing = [la for la in a.layers if la.no_kernel is not None]
    if missing:
        console.print(
            f"[red]{len(missing)} layer(s) have no kernel yet[/] (generate will refuse the model):"
        )
        for la in missing:
            console.print(f"  {escape(la.no_kernel or '')}", soft_wrap=True)
    print_verdict(a, console)


def print_verdict(a: Analysis, console: Console) -> None:
    """Fits / does not fit, with the margin of every budget (nothing without budgets)."""
    if a.fits is None:
        return
    for b in a.budgets:
        what = {"ram": "RAM (activations)", "flash": "flash (weights)"}.get(b.what, b.what)
        if b.fits:
            free = f", {100 * b.margin / b.available:.1f}% free" if b.available else ""
            console.print(
                f"[green]fits[/] {escape(what)}: needs {_b(b.needed)} of {_b(b.available)}, "
                f"margin {_b(b.margin)}{free}"
            )
        else:
            console.print(
                f"[red]does not fit[/] {escape(what)}: needs {_b(b.needed)} of "
                f"{_b(b.available)}, over by {_b(-b.margin)}"
            )
    if a.pool_error is not None:
        console.print(f"[red]does not fit[/] memory pools: {escape(a.pool_error)}", soft_wrap=True)
    if any(b.what == "flash" for b in a.budgets):
        console.print("  (flash counts the weights only; code size: mcuai benchmark)")
    verdict = "[green]FITS[/]" if a.fits else "[red]DOES NOT FIT[/]"
    console.print(f"verdict: {verdict}")


#: Symbols of the buffers in the timeline, in order of their buffer id.
_SYMBOLS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _symbols(a: Analysis) -> dict[int, str]:
    """A symbol per buffer; buffers of one pool live at the same step get distinct symbols
    (greedy interval colouring by first step) while there are enough symbols."""
    sym: dict[int, str] = {}
    done: list[BufferReport] = []
    for b in sorted(a.buffers, key=lambda b: (b.first, b.id)):
        taken = {
            sym[c.id] for c in done if c.pool == b.pool and c.first <= b.last and b.first <= c.last
        }
        free = [s for s in _SYMBOLS if s not in taken]
        sym[b.id] = free[0] if free else _SYMBOLS[b.id % len(_SYMBOLS)]
        done.append(b)
    return sym


def timeline_lines(a: Analysis, width: int = 64) -> list[str]:
    """The memory plan as ASCII: one line per step, one column per ``size / width`` bytes of
    the arena (or of each pool); a column shows the buffer covering most of its bytes at that
    step (``.``: free), followed by the bytes live at the step. A legend maps symbols to
    buffers."""
    lines: list[str] = []
    regions: list[tuple[str | None, int]] = [(p.name, p.used) for p in a.pools]
    if not regions:
        regions = [(None, a.arena_bytes)]
    symbol = _symbols(a)
    label_w = 34
    for name, size in regions:
        bufs = [b for b in a.buffers if b.pool == name]
        if name is not None:
            lines.append(f"pool {name}: {size:,} B")
        else:
            lines.append(f"arena: {size:,} B")
        cols = max(1, min(width, size))
        per = size / cols if size else 1.0
        head = f"{'step':>5} {'layer':<{label_w}} |"
        lines.append(f"{head}{'0':<{cols // 2}}{f'{size:,} B':>{cols - cols // 2}}| live B")
        for st in a.steps:
            row = []
            live = [b for b in bufs if b.first <= st.step <= b.last and b.size]
            for c in range(cols):
                lo, hi = c * per, (c + 1) * per
                best, cover = None, 0.0
                for b in live:
                    ov = min(hi, b.offset + b.size) - max(lo, b.offset)
                    if ov > cover:
                        best, cover = b, ov
                row.append(symbol[best.id] if best is not None else ".")
            label = f"{st.op} {st.name}"
            if len(label) > label_w:
                label = label[: label_w - 1] + "~"
            used = sum(b.size for b in live)
            lines.append(f"{st.step:>5} {label:<{label_w}} |{''.join(row)}| {used:,}")
        lines.append("")
    lines.append("buffers (symbol: name, pool/offset, size, steps):")
    for b in sorted(a.buffers, key=lambda b: b.id):
        where = f"{b.pool}+{b.offset}" if b.pool is not None else f"+{b.offset}"
        lines.append(
            f"  {symbol[b.id]}: {b.name} ({b.kind}), {where}, {b.size:,} B, "
            f"steps {b.first}-{b.last}"
        )
    return lines


def print_timeline(a: Analysis, console: Console) -> None:
    """The ASCII timeline of :func:`timeline_lines` (no markup)."""
    console.print("memory timeline (one line per step, columns = arena bytes):")
    for line in timeline_lines(a):
        console.print(escape(line), soft_wrap=True, highlight=False)
