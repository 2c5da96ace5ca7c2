"""Emit the C sources of a lowered program.

Output (for ``--name net``): ``net.h`` (the API), ``net.c`` (parameter structs and ``net_run``:
one kernel call per layer, in schedule order, pointers into the arena computed from the memory
plan), ``net_data.c`` (constant arrays, 16-byte aligned), ``kernels/`` (``mcu_nn.h`` and the
kernel units the program uses, copied from the package), ``CMakeLists.txt``, ``net.mk`` and
``README.md``. Everything is a pure function of the program and the options: the same model
gives byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from mcuai import __version__
from mcuai.codegen.cformat import c_array_body, c_float, c_int
from mcuai.codegen.cnames import comment_text
from mcuai.errors import UnsupportedError
from mcuai.ir.dtypes import DType
from mcuai.ir.tensor import Tensor
from mcuai.lower.program import CArray, Program, Raw, Scratch, Struct, TensorRef, Value
from mcuai.memory.liveness import MemoryLayout

C_TYPE_OF: dict[DType, str] = {
    DType.INT8: "int8_t",
    DType.UINT8: "uint8_t",
    DType.INT16: "int16_t",
    DType.INT32: "int32_t",
    DType.INT64: "int64_t",
    DType.FLOAT32: "float",
    DType.BOOL: "uint8_t",
}


@dataclass
class IOInfo:
    """A model input or output as the generated API exposes it."""

    index: int
    tensor: Tensor
    offset: int | None  # arena offset, None when the application provides the buffer
    pool: int | None = None  # with memory pools: index of the pool ``offset`` is in

    def to_json(self) -> dict[str, Any]:
        t = self.tensor
        q = t.quant
        d: dict[str, Any] = {
            "index": self.index,
            "name": t.name,
            "dtype": t.dtype.value,
            "shape": list(t.shape),
            "bytes": t.nbytes,
            "offset": self.offset,
            "scale": None if q is None else [float(v) for v in q.scale.reshape(-1)],
            "zero_point": None if q is None else [int(v) for v in q.zero_point.reshape(-1)],
        }
        if self.pool is not None:
            d["pool"] = self.pool
        return d


@dataclass
class Observation:
    """What the observer callback receives for index ``index``: output ``output`` of
    ``layer``."""

    index: int
    layer: int
    output: int
    origin: str
    tensor: Tensor

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "layer": self.layer,
            "output": self.output,
            "origin": self.origin,
            "tensor": self.tensor.name,
            "dtype": self.tensor.dtype.value,
            "shape": list(self.tensor.shape),
        }


@dataclass
class PoolInfo:
    """A memory pool of the generated API: index in ``pools[]``, bytes used (the
    ``<NAME>_POOL_<P>_SIZE`` macro), the pool's capacity and ``fast`` flag from the pool file."""

    index: int
    name: str
    size: int
    capacity: int
    fast: bool

    @property
    def macro(self) -> str:
        """Upper-case name used in the macros, e.g. ``DTCM``."""
        return self.name.upper()

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "size": self.size,
            "capacity": self.capacity,
            "fast": self.fast,
        }


@dataclass
class GeneratedCode:
    name: str
    files: dict[str, str]
    arena_size: int  # with pools: the sum of the pool sizes
    arena_align: int
    inputs: list[IOInfo]
    outputs: list[IOInfo]
    observations: list[Observation]
    layers: list[dict[str, Any]] = field(default_factory=list)
    pools: list[PoolInfo] = field(default_factory=list)  # empty: one arena

    @property
    def io_in_arena(self) -> bool:
        return all(io.offset is not None for io in [*self.inputs, *self.outputs])


class _Emitter:
    def __init__(self, program: Program, layout: MemoryLayout, name: str, align: int) -> None:
        self.p = program
        self.layout = layout
        self.name = name
        self.up = name.upper()
        self.align = align
        self.arrays: dict[tuple[str, bytes], str] = {}
        self.array_defs: list[str] = []
        self.array_decls: list[str] = []
        self.structs: dict[tuple[str, str], str] = {}
        self.struct_defs: list[str] = []
        self.struct_counts: dict[str, int] = {}
        graph = program.graph
        self.in_index = {t.uid: i for i, t in enumerate(graph.inputs)}
        self.out_index = {t.uid: i for i, t in enumerate(graph.outputs)}

    # ---- constants -----------------------------------------------------------------------
    def array(self, arr: CArray, layer: int) -> str:
        data = np.ascontiguousarray(arr.data.reshape(-1))
        key = (arr.ctype, data.tobytes())
        if key in self.arrays:
            return self.arrays[key]
        name = f"{self.name}_l{layer}_{arr.hint}"
        base, k = name, 1
        while name in self.arrays.values():
            k += 1
            name = f"{base}{k}"
        self.arrays[key] = name
        n = max(data.size, 1)
        body = c_array_body(data, arr.ctype) if data.size else "    0"
        note = f"/* {comment_text(arr.comment)} */\n" if arr.comment else ""
        self.array_defs.append(
            f"{note}const {arr.ctype} {name}[{n}] MCU_ALIGNED(16) = {{\n{body}\n}};\n"
        )
        self.array_decls.append(f"extern const {arr.ctype} {name}[{n}];")
        return name

    def const_tensor(self, t: Tensor, layer: int) -> str:
        assert t.data is not None
        return self.array(CArray("const", t.data.astype(t.dtype.np).reshape(-1), t.name), layer)

    def init(self, v: Value, layer: int) -> str:
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, int):
            return c_int(v)
        if isinstance(v, float):
            return c_float(v)
        if isinstance(v, CArray):
            return self.array(v, layer)
        if isinstance(v, Raw):
            return v.text
        if isinstance(v, Struct):
            fields = ", ".join(f".{k} = {self.init(x, layer)}" for k, x in v.fields)
            return "{ " + fields + " }"
        raise TypeError(f"cannot place {type(v).__name__} in a constant initializer")

    def struct(self, s: Struct, layer: int) -> str:
        text = self.init(s, layer)
        key = (s.ctype, text)
        if key in self.structs:
            return self.structs[key]
        short = s.ctype.removeprefix("mcu_")
        if s.ctype == "mcu_dims":
            dims = [str(x) for _, x in s.fields]
            name = "dims_" + "x".join(dims)
        else:
            k = self.struct_counts.get(short, 0)
            self.struct_counts[short] = k + 1
            name = f"{short}_{k}"
        self.structs[key] = name
        self.struct_defs.append(f"static const {s.ctype} {name} = {text};")
        return name

    # ---- tensors -------------------------------------------------------------------------
    def tensor_ptr(self, t: Tensor, out: bool, layer: int) -> str:
        ctype = C_TYPE_OF[t.dtype]
        if t.is_const:
            return self.const_tensor(t, layer)
        gi = self.layout.tensor_group[t.uid]
        group = self.layout.groups[gi]
        cq = "" if out else "const "
        if group.external:
            for m in group.members:
                if m.uid in self.in_index and not out:
                    return f"(const {ctype} *)inputs[{self.in_index[m.uid]}]"
                if m.uid in self.out_index:
                    return f"({cq}{ctype} *)outputs[{self.out_index[m.uid]}]"
            raise UnsupportedError(
                f"tensor '{t.name}' shares storage with a model input kept outside the arena "
                "and is written; keep inputs in the arena"
            )
        off = self.layout.plan.offsets[gi] + self.layout.member_offset(t)
        return f"({cq}{ctype} *)({self.base(gi)} + {off})"

    def base(self, buffer_id: int) -> str:
        """C name of the byte pointer to the start of the buffer's arena or pool."""
        if self.layout.pool_plan is None:
            return "a"
        return f"p{self.layout.pool_of(buffer_id)}"

    def arg(self, v: Value, layer: int, scratch: int | None) -> str:
        if isinstance(v, TensorRef):
            return self.tensor_ptr(v.tensor, v.out, layer)
        if isinstance(v, Struct):
            return "&" + self.struct(v, layer)
        if isinstance(v, Scratch):
            assert scratch is not None
            base = self.base(self.layout.scratch_id(scratch))
            return f"(void *)({base} + {self.layout.scratch_offsets[scratch]})"
        return self.init(v, layer)


def _kernel_text(name: str) -> str:
    return resources.files("mcuai.kernels").joinpath(name).read_text(encoding="utf-8")


def emit(
    program: Program, layout: MemoryLayout, name: str, model_file: str, alignment: int
) -> GeneratedCode:
    """Render all files of the generated project (see the module docstring)."""
    em = _Emitter(program, layout, name, alignment)
    graph = program.graph
    up = name.upper()

    # I/O
    def io(t: Tensor, i: int) -> IOInfo:
        if t.is_const:
            return IOInfo(i, t, None)
        pool = layout.pool_of_tensor(t) if layout.pool_plan is not None else None
        return IOInfo(i, t, layout.offset_of(t), pool)

    pools = []
    if layout.pool_plan is not None:
        pp = layout.pool_plan
        pools = [
            PoolInfo(k, p.name, max(pp.used(k), 1), p.size, p.fast) for k, p in enumerate(pp.pools)
        ]

    inputs = [io(t, i) for i, t in enumerate(graph.inputs)]
    outputs = [io(t, i) for i, t in enumerate(graph.outputs)]
    io_in_arena = all(x.offset is not None for x in [*inputs, *outputs])

    # run body
    body: list[str] = []
    observations: list[Observation] = []
    layers_json: list[dict[str, Any]] = []
    scratch_index = 0
    for la in program.layers:
        n = la.node
        outs = ", ".join(t.type_str() for t in n.outputs)
        body.append(f"    /* layer {la.index}: {n.op} '{comment_text(n.origin)}' -> {outs} */")
        if not la.calls:
            body.append("    /* view of its input: no code */")
        for call in la.calls:
            sidx = None
            if call.scratch_bytes:
                sidx = scratch_index
                scratch_index += 1
            args = [em.arg(v, la.index, sidx) for v in call.args]
            if call.comment:
                body.append(f"    /* {comment_text(call.comment)} */")
            body.append(f"    {call.kernel}({', '.join(args)});")
        if la.calls:
            for k, t in enumerate(n.outputs):
                obs = Observation(len(observations), la.index, k, n.origin, t)
                observations.append(obs)
                ptr = em.tensor_ptr(t, False, la.index)
                body.append(f"    {up}_OBSERVE({obs.index}, {ptr});")
        layers_json.append(
            {
                "index": la.index,
                "origin": n.origin,
                "op": n.op,
                "kernels": [c.kernel for c in la.calls],
            }
        )
    # outputs that are constants (folded) are copied in by the caller: not supported
    for o in outputs:
        if o.tensor.is_const:
            raise UnsupportedError(f"model output '{o.tensor.name}' is a constant")

    files: dict[str, str] = {}
    files[f"{name}.h"] = _header(
        name,
        model_file,
        layout,
        alignment,
        inputs,
        outputs,
        len(program.layers),
        len(observations),
        io_in_arena,
        pools,
    )
    files[f"{name}.c"] = _source(name, program, em, body, inputs, outputs, io_in_arena, pools)
    files[f"{name}_data.c"] = (
        f"/* {name}_data.c - constant data of {name}, generated by mcuai {__version__}. */\n"
        '#include <stdint.h>\n#include "kernels/mcu_nn.h"\n\n' + "\n".join(em.array_defs)
    )
    files["kernels/mcu_nn.h"] = _kernel_text("mcu_nn.h")
    for unit in program.kernel_files:
        files[f"kernels/{unit}.h"] = _kernel_text(f"{unit}.h")
        files[f"kernels/{unit}.c"] = _kernel_text(f"{unit}.c")
    sources = [f"{name}.c", f"{name}_data.c"] + [f"kernels/{u}.c" for u in program.kernel_files]
    files["CMakeLists.txt"] = _cmake(name, sources)
    files[f"{name}.mk"] = _make_fragment(name, sources)
    files["README.md"] = _readme(name, model_file, layout, inputs, outputs, io_in_arena, pools)
    return GeneratedCode(
        name,
        files,
        layout.plan.arena_size,
        alignment,
        inputs,
        outputs,
        observations,
        layers_json,
        pools,
    )


def _io_comment(kind: str, io: IOInfo) -> str:
    t = io.tensor
    q = t.quant
    qs = ""
    if q is not None and not q.per_axis:
        qs = f", real = {float(q.scale):.9g} * (q - ({int(q.zero_point)}))"
    where = "in the arena" if io.offset is not None else "application buffer"
    if io.pool is not None:
        where = f"in pool {io.pool}"
    return f"/* {kind} {io.index}: '{comment_text(t.name)}' {t.type_str()}{qs} ({where}) */"


def _header(
    name: str,
    model_file: str,
    layout: MemoryLayout,
    alignment: int,
    inputs: list[IOInfo],
    outputs: list[IOInfo],
    num_layers: int,
    num_obs: int,
    io_in_arena: bool,
    pools: list[PoolInfo],
) -> str:
    up = name.upper()
    lines = [
        f"/* {name}.h - generated by mcuai {__version__} from '{comment_text(model_file)}'.",
        " * Do not edit: regenerate instead. API: see README.md next to this file. */",
        f"#ifndef {up}_H",
        f"#define {up}_H",
        "",
        "#include <stdint.h>",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
    ]
    if pools:
        lines += [
            "/* Memory pools: the application provides one block per pool, of at least",
            f"   {up}_POOL_<P>_SIZE bytes and {up}_POOL_ALIGN-aligned, and passes their addresses",
            f"   as pools[{up}_POOL_<P>_INDEX] to every function below. */",
            f"#define {up}_NUM_POOLS {len(pools)}",
            f"#define {up}_POOL_ALIGN {alignment}",
        ]
        for pi in pools:
            fast = ", fast" if pi.fast else ""
            lines += [
                f"/* pool {pi.index}: '{pi.name}' ({pi.capacity} bytes available{fast}) */",
                f"#define {up}_POOL_{pi.macro}_INDEX {pi.index}",
                f"#define {up}_POOL_{pi.macro}_SIZE {pi.size}",
            ]
    else:
        lines += [
            "/* The application provides one arena of this size and alignment. */",
            f"#define {up}_ARENA_SIZE {max(layout.plan.arena_size, 1)}",
            f"#define {up}_ARENA_ALIGN {alignment}",
        ]
    lines += [
        f"#define {up}_NUM_INPUTS {len(inputs)}",
        f"#define {up}_NUM_OUTPUTS {len(outputs)}",
        f"#define {up}_NUM_LAYERS {num_layers}",
        f"#define {up}_NUM_OBSERVATIONS {num_obs}",
        "",
    ]
    for kind, ios in (("INPUT", inputs), ("OUTPUT", outputs)):
        for x in ios:
            t = x.tensor
            lines.append(_io_comment(kind.lower(), x))
            lines.append(f"#define {up}_{kind}{x.index}_BYTES {t.nbytes}")
            lines.append(f"#define {up}_{kind}{x.index}_ELEMENTS {t.size}")
            if t.quant is not None and not t.quant.per_axis:
                lines.append(f"#define {up}_{kind}{x.index}_SCALE {c_float(float(t.quant.scale))}")
                zp = int(t.quant.zero_point)
                lines.append(f"#define {up}_{kind}{x.index}_ZERO_POINT ({zp})")
            lines.append(f"typedef {C_TYPE_OF[t.dtype]} {name}_{kind.lower()}{x.index}_t;")
            lines.append("")
    if pools:
        mem, amem, cmem = "void *const pools[]", "void *const pools[]", "void *const pools[]"
        lines += [
            "/* Return codes. */",
            f"#define {up}_OK 0",
            f"#define {up}_ERR_NULL (-1)      /* pools, a pool (or an I/O buffer) is NULL */",
            f"#define {up}_ERR_ALIGN (-2)     /* a pool is not {up}_POOL_ALIGN-aligned */",
            "",
            "/* Check the pools. No other initialisation is needed; the pools hold no state",
            "   between runs. */",
            f"int {name}_init({mem});",
            "/* Where to write input i / read output i: pointers into a pool, or NULL for an",
            "   index out of range or an I/O kept outside the pools. */",
        ]
    else:
        mem, amem, cmem = "void *arena", "void *arena", "const void *arena"
        lines += [
            "/* Return codes. */",
            f"#define {up}_OK 0",
            f"#define {up}_ERR_NULL (-1)      /* arena (or an I/O buffer) is NULL */",
            f"#define {up}_ERR_ALIGN (-2)     /* arena is not {up}_ARENA_ALIGN-aligned */",
            "",
            "/* Check the arena. No other initialisation is needed; the arena holds no state",
            "   between runs. */",
            f"int {name}_init({mem});",
            "/* Where to write input i / read output i: pointers into the arena, or NULL for an",
            "   index out of range or an I/O kept outside the arena. */",
        ]
    where = "the pools" if pools else "the arena"
    lines += [
        f"void *{name}_input({amem}, int i);",
        f"const void *{name}_output({cmem}, int i);",
    ]
    if io_in_arena:
        lines += [
            f"/* Run one inference on the inputs written into {where}. */",
            f"int {name}_run({mem});",
        ]
    lines += [
        "/* Run one inference; inputs[i] / outputs[i] are the application's buffers for I/O",
        f"   kept outside {where} (entries for I/O inside {where} are ignored). */",
        f"int {name}_run_io({mem}, const void *const inputs[], void *const outputs[]);",
        "",
        "/* Optional observer, called after each layer with observation index (see the table in",
        "   README.md), a pointer to that layer's output and `user`. NULL disables it. This is",
        "   the only global mutable state of the generated code. */",
        f"typedef void (*{name}_observer)(int index, const void *data, void *user);",
        f"void {name}_set_observer({name}_observer cb, void *user);",
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        f"#endif /* {up}_H */",
        "",
    ]
    return "\n".join(lines)


def _source(
    name: str,
    program: Program,
    em: _Emitter,
    body: list[str],
    inputs: list[IOInfo],
    outputs: list[IOInfo],
    io_in_arena: bool,
    pools: list[PoolInfo],
) -> str:
    up = name.upper()
    includes = [f'#include "kernels/{u}.h"' for u in program.kernel_files]
    lines = [
        f"/* {name}.c - generated by mcuai {__version__}. Do not edit. */",
        f'#include "{name}.h"',
        "",
        "#include <stddef.h>",
        '#include "kernels/mcu_nn.h"',
        *includes,
        "",
        "/* constant arrays (in " + name + "_data.c) */",
        *em.array_decls,
        "",
        "/* layer parameters */",
        *em.struct_defs,
        "",
        f"static {name}_observer {name}_obs_cb = NULL;",
        f"static void *{name}_obs_user = NULL;",
        "",
        f"#define {up}_OBSERVE(idx, ptr) \\",
        f"    do {{ if ({name}_obs_cb != NULL) {{ {name}_obs_cb((idx), (const void *)(ptr), "
        f"{name}_obs_user); }} }} while (0)",
        "",
        f"void {name}_set_observer({name}_observer cb, void *user)",
        "{",
        f"    {name}_obs_cb = cb;",
        f"    {name}_obs_user = user;",
        "}",
        "",
    ]
    if pools:
        lines += _pool_functions(name, inputs, outputs, io_in_arena, pools, body)
        return "\n".join(lines)
    lines += [
        f"int {name}_init(void *arena)",
        "{",
        "    if (arena == NULL) {",
        f"        return {up}_ERR_NULL;",
        "    }",
        f"    if (((uintptr_t)arena % {up}_ARENA_ALIGN) != 0) {{",
        f"        return {up}_ERR_ALIGN;",
        "    }",
        f"    return {up}_OK;",
        "}",
        "",
    ]
    for kind, ios, cq in (("input", inputs, ""), ("output", outputs, "const ")):
        lines += [f"{cq}void *{name}_{kind}({cq}void *arena, int i)", "{"]
        lines.append(f"    {cq}uint8_t *a = ({cq}uint8_t *)arena;")
        lines.append("    (void)a;")
        lines.append("    switch (i) {")
        for x in ios:
            if x.offset is not None:
                lines.append(f"    case {x.index}: return ({cq}void *)(a + {x.offset});")
        lines += ["    default: return NULL;", "    }", "}", ""]
    lines += [
        f"int {name}_run_io(void *arena, const void *const inputs[], void *const outputs[])",
        "{",
        "    uint8_t *a = (uint8_t *)arena;",
        f"    int rc = {name}_init(arena);",
        f"    if (rc != {up}_OK) {{",
        "        return rc;",
        "    }",
    ]
    lines += _io_checks(up, body)
    lines += ["    (void)a;", *body, f"    return {up}_OK;", "}", ""]
    if io_in_arena:
        lines += [
            f"int {name}_run(void *arena)",
            "{",
            f"    return {name}_run_io(arena, NULL, NULL);",
            "}",
            "",
        ]
    return "\n".join(lines)


def _io_checks(up: str, body: list[str]) -> list[str]:
    """NULL checks of the I/O pointer tables the run body uses (``(void)`` the others)."""
    lines: list[str] = []
    if not any("inputs[" in ln for ln in body):
        lines.append("    (void)inputs;")
    else:
        lines += ["    if (inputs == NULL) {", f"        return {up}_ERR_NULL;", "    }"]
    if not any("outputs[" in ln for ln in body):
        lines.append("    (void)outputs;")
    else:
        lines += ["    if (outputs == NULL) {", f"        return {up}_ERR_NULL;", "    }"]
    return lines


def _pool_functions(
    name: str,
    inputs: list[IOInfo],
    outputs: list[IOInfo],
    io_in_arena: bool,
    pools: list[PoolInfo],
    body: list[str],
) -> list[str]:
    """``init``, ``input``, ``output``, ``run_io`` and ``run`` taking the pool table."""
    up = name.upper()
    lines = [
        f"int {name}_init(void *const pools[])",
        "{",
        "    int k;",
        "    if (pools == NULL) {",
        f"        return {up}_ERR_NULL;",
        "    }",
        f"    for (k = 0; k < {up}_NUM_POOLS; ++k) {{",
        "        if (pools[k] == NULL) {",
        f"            return {up}_ERR_NULL;",
        "        }",
        f"        if (((uintptr_t)pools[k] % {up}_POOL_ALIGN) != 0) {{",
        f"            return {up}_ERR_ALIGN;",
        "        }",
        "    }",
        f"    return {up}_OK;",
        "}",
        "",
    ]
    for kind, ios, cq in (("input", inputs, ""), ("output", outputs, "const ")):
        lines += [f"{cq}void *{name}_{kind}(void *const pools[], int i)", "{"]
        lines.append("    switch (i) {")
        for x in ios:
            if x.offset is not None and x.pool is not None:
                lines.append(
                    f"    case {x.index}: return ({cq}void *)((uint8_t *)pools[{x.pool}] + "
                    f"{x.offset});"
                )
        lines += ["    default: return NULL;", "    }", "}", ""]
    lines += [
        f"int {name}_run_io(void *const pools[], const void *const inputs[], "
        "void *const outputs[])",
        "{",
        *[f"    uint8_t *p{p.index};" for p in pools],
        f"    int rc = {name}_init(pools);",
        f"    if (rc != {up}_OK) {{",
        "        return rc;",
        "    }",
        *_io_checks(up, body),
    ]
    for p in pools:
        lines += [f"    p{p.index} = (uint8_t *)pools[{p.index}];", f"    (void)p{p.index};"]
    lines += [*body, f"    return {up}_OK;", "}", ""]
    if io_in_arena:
        lines += [
            f"int {name}_run(void *const pools[])",
            "{",
            f"    return {name}_run_io(pools, NULL, NULL);",
            "}",
            "",
        ]
    return lines


def _cmake(name: str, sources: list[str]) -> str:
    srcs = "\n".join(f"    ${{CMAKE_CURRENT_LIST_DIR}}/{s}" for s in sources)
    return (
        f"# Generated by mcuai {__version__}: add_subdirectory() this folder, link {name}.\n"
        "cmake_minimum_required(VERSION 3.13)\n"
        f"add_library({name} STATIC\n{srcs}\n)\n"
        f"target_include_directories({name} PUBLIC ${{CMAKE_CURRENT_LIST_DIR}})\n"
        f"set_target_properties({name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON\n"
        "                      C_EXTENSIONS OFF)\n"
        "# -std=c99 (not gnu99): no fused multiply-add contraction, float kernels stay exact\n"
        f"target_compile_options({name} PRIVATE $<$<C_COMPILER_ID:GNU,Clang>:-ffp-contract=off>)\n"
    )


def _make_fragment(name: str, sources: list[str]) -> str:
    up = name.upper()
    srcs = " \\\n    ".join(f"$({up}_DIR)/{s}" for s in sources)
    return (
        f"# Generated by mcuai {__version__}. In your Makefile:\n"
        f"#   {up}_DIR := path/to/this/folder\n"
        f"#   include $({up}_DIR)/{name}.mk\n"
        f"#   SRCS += $({up}_SRCS)   CFLAGS += $({up}_CFLAGS)\n"
        f"{up}_DIR ?= $(dir $(lastword $(MAKEFILE_LIST)))\n"
        f"{up}_SRCS := \\\n    {srcs}\n"
        f"{up}_CFLAGS := -I$({up}_DIR) -std=c99 -ffp-contract=off\n"
    )


def _readme(
    name: str,
    model_file: str,
    layout: MemoryLayout,
    inputs: list[IOInfo],
    outputs: list[IOInfo],
    io_in_arena: bool,
    pools: list[PoolInfo],
) -> str:
    up = name.upper()

    def where(x: IOInfo) -> str:
        if x.offset is None:
            return "your buffer"
        if x.pool is not None:
            return f"pool {pools[x.pool].name} +{x.offset}"
        return "arena +" + str(x.offset)

    io_rows = "\n".join(
        f"| {kind} {x.index} | `{comment_text(x.tensor.name)}` | `{x.tensor.type_str()}` | "
        f"{where(x)} |"
        for kind, ios in (("input", inputs), ("output", outputs))
        for x in ios
    )
    if pools:
        return _readme_pools(name, model_file, io_rows, io_in_arena, pools)
    run = f"{name}_run(arena);" if io_in_arena else f"{name}_run_io(arena, inputs, outputs);"
    return f"""# {name}: generated by mcuai {__version__}

Model: `{comment_text(model_file)}`. Plain C99, no heap, no global state except the optional
observer. Build with the files listed in `CMakeLists.txt` or `{name}.mk`.

```c
#include "{name}.h"
static uint8_t arena[{up}_ARENA_SIZE] __attribute__((aligned({up}_ARENA_ALIGN)));

{name}_init(arena);                       /* {up}_OK or {up}_ERR_* */
int8_t *in = ({name}_input0_t *){name}_input(arena, 0);   /* write quantized input 0 */
{run}
const {name}_output0_t *out = {name}_output(arena, 0);
```

Memory: activations arena {layout.plan.arena_size} bytes ({up}_ARENA_SIZE), alignment
{up}_ARENA_ALIGN; weights are `const` arrays in `{name}_data.c` (flash).

| I/O | name | type | where |
|---|---|---|---|
{io_rows}

Quantized I/O: real = {up}_INPUTi_SCALE * (q - {up}_INPUTi_ZERO_POINT).

Observer (per-layer validation, profiling): `{name}_set_observer(cb, user)`; `cb(index, data,
user)` is called after each layer; `index` numbers the layer outputs in execution order.
"""


def _readme_pools(
    name: str, model_file: str, io_rows: str, io_in_arena: bool, pools: list[PoolInfo]
) -> str:
    up = name.upper()
    decls = "\n".join(
        f"static uint8_t pool_{p.name}[{up}_POOL_{p.macro}_SIZE] "
        f"__attribute__((aligned({up}_POOL_ALIGN)));   /* place it in {p.name} */"
        for p in pools
    )
    table = ",\n".join(f"    [{up}_POOL_{p.macro}_INDEX] = pool_{p.name}" for p in pools)
    rows = "\n".join(
        f"| {p.index} | `{p.name}` | {p.size} | {p.capacity} | {'yes' if p.fast else 'no'} |"
        for p in pools
    )
    run = f"{name}_run(pools);" if io_in_arena else f"{name}_run_io(pools, inputs, outputs);"
    return f"""# {name}: generated by mcuai {__version__}

Model: `{comment_text(model_file)}`. Plain C99, no heap, no global state except the optional
observer. Build with the files listed in `CMakeLists.txt` or `{name}.mk`.

The activations are spread over {len(pools)} memory pools (generated with `--memory-pool`):
every function takes the table of pool addresses instead of one arena.

```c
#include "{name}.h"
{decls}
static void *const pools[{up}_NUM_POOLS] = {{
{table}
}};

{name}_init(pools);                       /* {up}_OK or {up}_ERR_* */
int8_t *in = ({name}_input0_t *){name}_input(pools, 0);   /* write quantized input 0 */
{run}
const {name}_output0_t *out = {name}_output(pools, 0);
```

| pool | name | bytes used ({up}_POOL_<P>_SIZE) | bytes available | fast |
|---|---|---|---|---|
{rows}

Weights are `const` arrays in `{name}_data.c` (flash).

| I/O | name | type | where |
|---|---|---|---|
{io_rows}

Quantized I/O: real = {up}_INPUTi_SCALE * (q - {up}_INPUTi_ZERO_POINT).

Observer (per-layer validation, profiling): `{name}_set_observer(cb, user)`; `cb(index, data,
user)` is called after each layer; `index` numbers the layer outputs in execution order.
"""
