"""The ``mcuai`` command line. Every command calls one function of :mod:`mcuai.api`.

User errors (:class:`~mcuai.errors.McuaiError`) print one ``error:`` message and exit with code
2, without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from mcuai import __version__
from mcuai.errors import McuaiError

F = TypeVar("F", bound=Callable[..., Any])

_err = Console(stderr=True, highlight=False)


def _stdout() -> Console:
    """Console for reports. Piped or redirected output (no terminal to measure) gets 160
    columns instead of rich's 80, so wide tables keep readable headers in logs and CI."""
    c = Console(highlight=False)
    if not c.is_terminal and "COLUMNS" not in os.environ:
        c = Console(highlight=False, width=160)
    return c


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically: a temporary file next to the target, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise McuaiError(f"{path}: cannot write ({e.strerror})") from None


def _memory_pool_option(f: F) -> F:
    """``--memory-pool FILE`` of analyze and generate."""
    return click.option(
        "--memory-pool",
        "memory_pool",
        type=click.Path(path_type=Path),
        default=None,
        metavar="FILE",
        help="JSON list of RAM regions ({name, size, fast}) to spread the activations over, "
        "fast ones first (see docs/analyze.md).",
    )(f)


def _prefer_option(f: F) -> F:
    """``--prefer ram|speed`` of analyze, generate, validate and benchmark."""
    return click.option(
        "--prefer",
        type=click.Choice(["ram", "speed"]),
        default="ram",
        show_default=True,
        help="'ram': layers at the memory peak may write over their input with slower "
        "in-place kernels (smallest arena); 'speed': fast kernels everywhere (larger arena).",
    )(f)


def _requant_option(f: F) -> F:
    """``--requant float|fixed-point`` of generate and validate (ONNX models)."""
    return click.option(
        "--requant",
        type=click.Choice(["float", "fixed-point"]),
        default="float",
        show_default=True,
        help="ONNX models: 'float' reproduces ONNX Runtime's float requantization bit for bit; "
        "'fixed-point' uses integer-only kernels for cores without an FPU (validate reports "
        "the difference).",
    )(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcuai")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Deploy quantized neural networks on microcontrollers."""
    ctx.obj = {"debug": debug}


@cli.command()
@click.option(
    "-m",
    "--model",
    "model",
    required=True,
    type=click.Path(path_type=Path),
    help="Model file (TFLite or ONNX).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the report as JSON (schema: docs/analyze-json.md).",
)
@click.option(
    "--no-inputs-in-arena",
    is_flag=True,
    help="Keep model inputs out of the activation arena (user buffers).",
)
@click.option(
    "--no-outputs-in-arena",
    is_flag=True,
    help="Keep model outputs out of the activation arena (user buffers).",
)
@click.option(
    "--alignment",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Byte alignment of every buffer in the arena (power of two).",
)
@_memory_pool_option
@click.option(
    "--target-ram",
    default=None,
    metavar="BYTES",
    help="RAM available for activations (e.g. 262144, 256K, 256KiB): fits / does-not-fit "
    "verdict with the margin; exit status 1 when it does not fit.",
)
@click.option(
    "--target-flash",
    default=None,
    metavar="BYTES",
    help="Flash available for the weights (e.g. 1M): verdict as --target-ram.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Also print the memory plan as an ASCII timeline."
)
@_prefer_option
def analyze(
    model: Path,
    json_path: Path | None,
    no_inputs_in_arena: bool,
    no_outputs_in_arena: bool,
    alignment: int,
    memory_pool: Path | None,
    target_ram: str | None,
    target_flash: str | None,
    verbose: bool,
    prefer: str,
) -> None:
    """Cost (MACC), flash (weights) and RAM (activations) of a model, per layer."""
    from mcuai import api
    from mcuai.errors import UsageError
    from mcuai.memory.pools import parse_bytes
    from mcuai.report.console import print_analysis

    if alignment & (alignment - 1):
        raise UsageError(f"--alignment {alignment} is not a power of two")
    ram = None if target_ram is None else parse_bytes(target_ram, "--target-ram")
    flash = None if target_flash is None else parse_bytes(target_flash, "--target-flash")
    a = api.analyze(
        model,
        inputs_in_arena=not no_inputs_in_arena,
        outputs_in_arena=not no_outputs_in_arena,
        alignment=alignment,
        memory_pools=memory_pool,
        target_ram=ram,
        target_flash=flash,
        prefer=prefer,
    )
    for w in a.warnings:
        _err.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)
    print_analysis(a, _stdout(), verbose=verbose)
    if json_path is not None:
        _write_json(json_path, a.to_json())
    if a.fits is False:
        sys.exit(1)


@cli.command()
@click.option(
    "-m",
    "--model",
    "model",
    required=True,
    type=click.Path(path_type=Path),
    help="Model file (TFLite or ONNX).",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write (created; replaced atomically if it holds mcuai output).",
)
@click.option(
    "--name", default=None, help="C prefix of the API (default: from the model file name)."
)
@click.option("--force", is_flag=True, help="Replace a non-empty folder not written by mcuai.")
@click.option(
    "--no-inputs-in-arena",
    is_flag=True,
    help="Model inputs in application buffers instead of the arena.",
)
@click.option(
    "--no-outputs-in-arena",
    is_flag=True,
    help="Model outputs in application buffers instead of the arena.",
)
@click.option(
    "--alignment",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Byte alignment of every buffer in the arena (power of two).",
)
@_memory_pool_option
@_requant_option
@_prefer_option
def generate(
    model: Path,
    out_dir: Path,
    name: str | None,
    force: bool,
    no_inputs_in_arena: bool,
    no_outputs_in_arena: bool,
    alignment: int,
    memory_pool: Path | None,
    requant: str,
    prefer: str,
) -> None:
    """Write static C99 code for a model: API header, network, weights, kernels, build files."""
    from mcuai import api
    from mcuai.errors import UsageError

    if alignment & (alignment - 1):
        raise UsageError(f"--alignment {alignment} is not a power of two")
    code = api.generate(
        model,
        out_dir,
        name=name,
        force=force,
        inputs_in_arena=not no_inputs_in_arena,
        outputs_in_arena=not no_outputs_in_arena,
        alignment=alignment,
        memory_pools=memory_pool,
        requant=requant,
        prefer=prefer,
    )
    out = _stdout()
    kernels = sorted(
        {
            f.removeprefix("kernels/")
            for f in code.files
            if f.endswith(".c") and f.startswith("kernels/")
        }
    )
    memory = f"arena {code.arena_size:,} B"
    if code.pools:
        memory = "pools " + ", ".join(f"{p.name} {p.size:,} B" for p in code.pools)
    out.print(
        f"wrote {len(code.files)} files to {out_dir}: {code.name}.h, {code.name}.c, "
        f"{code.name}_data.c, {len(kernels)} kernel units; {memory} "
        f"(align {code.arena_align})"
    )


@cli.command()
@click.option(
    "-m",
    "--model",
    "model",
    required=True,
    type=click.Path(path_type=Path),
    help="Model file (TFLite or ONNX).",
)
@click.option(
    "-vi",
    "--valinput",
    "vi",
    type=click.Path(path_type=Path),
    default=None,
    help="Inputs (.npz): one array per model input, keyed by name or input_<i>; "
    "float arrays are quantized with the input's parameters.",
)
@click.option(
    "-vo",
    "--valoutput",
    "vo",
    type=click.Path(path_type=Path),
    default=None,
    help="Ground truth (.npz) for -vi: real values, class indices or one-hot.",
)
@click.option(
    "--batches",
    type=int,
    default=None,
    help="Number of samples (default: all of -vi, or 10 random).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random inputs.")
@click.option("--per-layer", is_flag=True, help="Compare every layer's output too.")
@click.option(
    "--target",
    type=click.Choice(["host", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]),
    default="host",
    show_default=True,
    help="Where to run the C code: this machine, or an emulated Cortex-M core (QEMU).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the report as JSON.",
)
@_requant_option
@_prefer_option
@click.option(
    "--require-exact",
    is_flag=True,
    help="Exit with status 1 unless the C model is bit-exact with the original (for CI).",
)
def validate(
    model: Path,
    vi: Path | None,
    vo: Path | None,
    batches: int | None,
    seed: int,
    per_layer: bool,
    target: str,
    json_path: Path | None,
    requant: str,
    prefer: str,
    require_exact: bool,
) -> None:
    """Run the generated C and the original model on the same inputs and compare them."""
    from mcuai.report.validate_console import print_validation
    from mcuai.validate.run import validate_model

    report = validate_model(
        model, vi, vo, batches, seed, per_layer, target, requant=requant, prefer=prefer
    )
    print_validation(report, _stdout())
    if json_path is not None:
        _write_json(json_path, report.to_json())
    if require_exact and report.bit_exact is not True:
        _err.print("error: --require-exact: the C model is not bit-exact with the original")
        sys.exit(1)


@cli.command()
@click.option(
    "-m", "--model", "model", required=True, type=click.Path(path_type=Path), help="Model file."
)
@click.option(
    "--target",
    default="cortex-m4",
    show_default=True,
    help="cortex-m4 | cortex-m7 | cortex-m33 | cortex-m55 (QEMU).",
)
@click.option("--opt", default="O2", show_default=True, help="Optimization level: O2, Os, O3.")
@click.option(
    "--per-layer/--no-per-layer",
    default=True,
    show_default=True,
    help="Also count instructions per layer.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the report as JSON.",
)
@_prefer_option
def benchmark(
    model: Path, target: str, opt: str, per_layer: bool, json_path: Path | None, prefer: str
) -> None:
    """Executed instructions, code size and RAM on an emulated Cortex-M core."""
    from mcuai.benchmark import benchmark_model
    from mcuai.report.benchmark_console import print_benchmark

    report = benchmark_model(model, target, opt.removeprefix("-"), per_layer, prefer=prefer)
    print_benchmark(report, _stdout())
    if json_path is not None:
        _write_json(json_path, report.to_json())


@cli.command()
@click.option(
    "-m",
    "--model",
    "model",
    required=True,
    type=click.Path(path_type=Path),
    help="Float ONNX model file.",
)
@click.option(
    "--calib",
    required=True,
    type=click.Path(path_type=Path),
    help="Calibration data (.npz): one float array per model input, keyed by name or "
    "input_<i>, samples stacked in front.",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Quantized ONNX model to write (atomically).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["qdq", "qoperator"]),
    default="qdq",
    show_default=True,
    help="QDQ (QuantizeLinear/DequantizeLinear around float ops) or QOperator (QLinearConv...).",
)
@click.option("--per-tensor", is_flag=True, help="One weight scale per tensor, not per channel.")
@click.option(
    "--activation-type",
    type=click.Choice(["int8", "uint8"]),
    default="int8",
    show_default=True,
    help="Activation type (asymmetric).",
)
@click.option(
    "--weight-type",
    type=click.Choice(["int8", "uint8"]),
    default="int8",
    show_default=True,
    help="Weight type (int8 symmetric, uint8 asymmetric).",
)
@click.option(
    "--method",
    type=click.Choice(["minmax", "entropy", "percentile"]),
    default="minmax",
    show_default=True,
    help="Calibration method.",
)
@click.option("--reduce-range", is_flag=True, help="7-bit weights (old x86 CPUs; not for MCUs).")
@click.option(
    "-vi",
    "--valinput",
    "vi",
    type=click.Path(path_type=Path),
    default=None,
    help="Evaluate float vs quantized on these inputs (.npz) instead of the calibration data.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the report as JSON.",
)
def quantize(
    model: Path,
    calib: Path,
    output: Path,
    fmt: str,
    per_tensor: bool,
    activation_type: str,
    weight_type: str,
    method: str,
    reduce_range: bool,
    vi: Path | None,
    json_path: Path | None,
) -> None:
    """Quantize a float ONNX model (static, calibrated) with ONNX Runtime; report its error."""
    from mcuai import api
    from mcuai.quantize import print_quantization

    report = api.quantize(
        model,
        calib,
        output,
        format=fmt,
        per_channel=not per_tensor,
        activation_type=activation_type,
        weight_type=weight_type,
        method=method,
        reduce_range=reduce_range,
        vi=vi,
    )
    for w in report.warnings:
        _err.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)
    print_quantization(report, _stdout())
    if json_path is not None:
        _write_json(json_path, report.to_json())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mcuai`` console script."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="mcuai", standalone_mode=False)
    except click.exceptions.Abort:
        _err.print("aborted")
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2)
    except McuaiError as e:
        if debug:
            raise
        _err.print(f"[red]error:[/] {escape(str(e))}", soft_wrap=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
