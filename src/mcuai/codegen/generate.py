"""``generate``: optimized graph -> lowered program -> memory plan (with kernel scratch) ->
C files, and writing them to a folder atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcuai import __version__
from mcuai.codegen.emit import GeneratedCode, emit
from mcuai.errors import UsageError
from mcuai.ir.graph import Graph
from mcuai.lower.lowering import lower_graph
from mcuai.lower.ort import set_requant
from mcuai.memory.liveness import plan_memory
from mcuai.memory.pools import Pool
from mcuai.passes import in_place, uint8_to_int8

MANIFEST = "mcuai.json"


def generate_code(
    graph: Graph,
    name: str,
    model_file: str,
    alignment: int = 16,
    inputs_in_arena: bool = True,
    outputs_in_arena: bool = True,
    pools: Sequence[Pool] = (),
    requant: str = "float",
) -> GeneratedCode:
    """Lower, plan memory (one arena, or across ``pools``: raises
    :class:`~mcuai.memory.pools.PoolFitError` when the activations do not fit) and emit.
    ``requant`` (ONNX models): ``"float"`` = ONNX Runtime's float requantization (bit-exact),
    ``"fixed-point"`` = integer-only kernels (:func:`mcuai.lower.ort.set_requant`)."""
    graph = set_requant(graph, requant)
    graph = uint8_to_int8.run(graph)  # uint8 tensors stored as int8 (in place, I/O kept uint8)
    graph = in_place.run(graph)  # again: the rewrite gives uint8 layers their int8 kernels
    program = lower_graph(graph)
    for la in program.layers:
        in_place.confirm(la.node, la.calls)  # in place only over the kernels emitted
    scratch = [
        (la.index, c.scratch_bytes, f"scratch of {la.node.origin}")
        for la in program.layers
        for c in la.calls
        if c.scratch_bytes
    ]
    layout = plan_memory(graph, alignment, inputs_in_arena, outputs_in_arena, scratch, pools)
    return emit(program, layout, name, model_file, alignment)


def manifest(code: GeneratedCode, model_file: str, options: dict[str, Any]) -> str:
    """``mcuai.json``: marks the folder as mcuai output and describes the generated API."""
    data = {
        "generator": "mcuai",
        "version": __version__,
        "model": model_file,
        "name": code.name,
        "options": options,
        "arena_size": code.arena_size,
        "arena_align": code.arena_align,
        **({"pools": [p.to_json() for p in code.pools]} if code.pools else {}),
        "inputs": [x.to_json() for x in code.inputs],
        "outputs": [x.to_json() for x in code.outputs],
        "observations": [o.to_json() for o in code.observations],
        "layers": code.layers,
        "files": sorted(code.files),
    }
    return json.dumps(data, indent=2) + "\n"


def _is_mcuai_output(folder: Path) -> bool:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("generator") == "mcuai"


def write_folder(files: dict[str, str], out: Path, force: bool) -> None:
    """Write ``files`` into ``out`` atomically: build a temporary sibling folder, then swap.

    An existing non-empty folder is replaced only if it is an earlier mcuai output (it holds
    ``mcuai.json``) or ``force`` is set. On any error the previous content stays untouched.
    """
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force and not _is_mcuai_output(out):
        raise UsageError(
            f"{out}: folder is not empty and was not written by mcuai; use --force to replace it"
        )
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as e:
        raise UsageError(f"{out}: cannot create ({e.strerror})") from None
    try:
        for rel, text in sorted(files.items()):
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8", newline="\n")
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.rmdir(old)
            out.rename(old)
        try:
            tmp.rename(out)
        except OSError:
            if old is not None:
                old.rename(out)  # put the previous output back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"{out}: cannot write ({e.strerror})") from None
