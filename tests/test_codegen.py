"""Code generation: determinism, safe names, the output folder, strict compilers, sanitizers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mcuai.api import generate
from mcuai.errors import UsageError
from mcuai.targets.harness import host_harness
from mcuai.targets.host import HostModel, build
from test_cli_analyze import run_cli
from test_ops_conv2d import conv_model


def _model(tmp_path: Path, **kw: object) -> Path:
    p = tmp_path / "conv.tflite"
    p.write_bytes(conv_model((1, 9, 8, 5), 6, (3, 3), **kw))  # type: ignore[arg-type]
    return p


def test_generate_is_deterministic(tmp_path: Path) -> None:
    m = _model(tmp_path)
    a = generate(m)
    b = generate(m)
    assert a.files == b.files
    assert {
        "conv.h",
        "conv.c",
        "conv_data.c",
        "CMakeLists.txt",
        "conv.mk",
        "README.md",
        "mcuai.json",
        "kernels/mcu_nn.h",
        "kernels/mcu_conv2d_s8.c",
    } <= set(a.files)


def test_cli_writes_identical_folders(tmp_path: Path) -> None:
    m = _model(tmp_path)
    for out in ("o1", "o2"):
        r = run_cli("generate", "-m", str(m), "-o", str(tmp_path / out))
        assert r.returncode == 0, r.stderr
    files1 = sorted(p.relative_to(tmp_path / "o1") for p in (tmp_path / "o1").rglob("*"))
    files2 = sorted(p.relative_to(tmp_path / "o2") for p in (tmp_path / "o2").rglob("*"))
    assert files1 == files2
    for rel in files1:
        if (tmp_path / "o1" / rel).is_file():
            assert (tmp_path / "o1" / rel).read_bytes() == (tmp_path / "o2" / rel).read_bytes()


def test_hostile_names_stay_in_comments(tmp_path: Path, require_cc: str) -> None:
    from ai_edge_litert import schema_py_generated as s

    data = conv_model((1, 5, 5, 2), 2, (3, 3))
    m = s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
    evil = 'y */ #include "x.h" ??/\n int evil; /* \\'
    for t in m.subgraphs[0].tensors:
        t.name = (evil + t.name.decode()).encode()
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    p = tmp_path / "hostile.tflite"
    p.write_bytes(bytes(b.Output()))
    code = generate(p)
    for rel, text in code.files.items():
        if rel.endswith((".c", ".h")):
            outside_comments = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            assert "evil" not in outside_comments, rel
            assert '"x.h"' not in text and "??/" not in text, rel
    HostModel(code, build(code))  # compiles with -Wall -Wextra -Werror -pedantic


def test_bad_name_option(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a C identifier"):
        generate(_model(tmp_path), name="9 lives")


def test_folder_rules(tmp_path: Path) -> None:
    m = _model(tmp_path)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    r = run_cli("generate", "-m", str(m), "-o", str(foreign))
    assert r.returncode == 2 and "--force" in r.stderr
    assert (foreign / "keep.txt").read_text() == "mine"
    r = run_cli("generate", "-m", str(m), "-o", str(foreign), "--force")
    assert r.returncode == 0 and not (foreign / "keep.txt").exists()
    assert (foreign / "conv.h").exists()
    # regenerating over earlier mcuai output needs no --force
    assert run_cli("generate", "-m", str(m), "-o", str(foreign)).returncode == 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".foreign")]
    assert leftovers == []


def test_failed_generation_leaves_no_folder(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"garbage")
    out = tmp_path / "out"
    r = run_cli("generate", "-m", str(bad), "-o", str(out))
    assert r.returncode == 2 and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.tflite"]


def test_failed_write_keeps_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = _model(tmp_path)
    out = tmp_path / "out"
    generate(m, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    calls = {"n": 0}
    real = Path.write_text

    def flaky(self: Path, *a: object, **k: object) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", flaky)
    with pytest.raises(UsageError, match="No space left"):
        generate(m, out, name="other")
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv.tflite", "out"]


@pytest.mark.cc
@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_strict_compilers(tmp_path: Path, cc: str) -> None:
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed (sudo apt-get install {cc})")
    code = generate(_model(tmp_path))
    build(code, cc=cc)  # -std=c99 -Wall -Wextra -Werror -pedantic
    build(code, kind="exe", cc=cc, harness=host_harness(code))


@pytest.mark.cc
def test_io_outside_arena_runs(tmp_path: Path, require_cc: str) -> None:
    m = _model(tmp_path)
    inside = generate(m)
    outside = generate(m, inputs_in_arena=False, outputs_in_arena=False)
    assert outside.arena_size < inside.arena_size
    assert "conv_run(void *arena)" not in outside.files["conv.h"]
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (1, 9, 8, 5)).astype(np.int8)
    a, _ = HostModel(inside, build(inside)).run([x])
    b, _ = HostModel(outside, build(outside)).run([x])
    np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.cc
def test_sanitized_harness_matches_library(tmp_path: Path, require_cc: str) -> None:
    code = generate(_model(tmp_path))
    flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    exe = build(code, kind="exe", opt="-O1", extra=flags, harness=host_harness(code))
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (1, 9, 8, 5)).astype(np.int8)
    (tmp_path / "in0").write_bytes(x.tobytes())
    r = subprocess.run(
        [str(exe), str(tmp_path / "in0"), str(tmp_path / "out0")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    got = np.frombuffer((tmp_path / "out0").read_bytes(), np.int8)
    ref, _ = HostModel(code, build(code)).run([x])
    np.testing.assert_array_equal(got, ref[0].reshape(-1))


@pytest.mark.cc
def test_cmake_and_make_fragments_build(tmp_path: Path, require_cc: str) -> None:
    if shutil.which("cmake") is None or shutil.which("make") is None:
        pytest.skip("cmake/make not installed (sudo apt-get install cmake make)")
    out = tmp_path / "gen"
    generate(_model(tmp_path), out)
    app = tmp_path / "app"
    app.mkdir()
    (app / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.13)\nproject(app C)\n"
        f"add_subdirectory({out} conv)\nadd_executable(app main.c)\n"
        "target_link_libraries(app conv)\n"
    )
    (app / "main.c").write_text(
        '#include "conv.h"\nstatic unsigned char arena[CONV_ARENA_SIZE] '
        "__attribute__((aligned(CONV_ARENA_ALIGN)));\n"
        "int main(void) { if (conv_init(arena)) return 1; return conv_run(arena); }\n"
    )
    build_dir = tmp_path / "build"
    for cmd in (
        ["cmake", "-S", str(app), "-B", str(build_dir)],
        ["cmake", "--build", str(build_dir)],
    ):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    assert subprocess.run([str(build_dir / "app")], timeout=60).returncode == 0
    (app / "Makefile").write_text(
        f"CONV_DIR := {out}\ninclude $(CONV_DIR)/conv.mk\n"
        "app2: main.c $(CONV_SRCS)\n\t$(CC) $(CONV_CFLAGS) -o $@ $^ -lm\n"
    )
    r = subprocess.run(
        ["make", "-C", str(app), "app2"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stdout + r.stderr
