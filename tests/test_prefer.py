"""``--prefer ram|speed``: overlapping in-place kernels at the memory peak, or fast kernels."""

from __future__ import annotations

import pytest

from conftest import EXAMPLE
from mcuai.api import analyze
from mcuai.errors import UsageError
from mcuai.validate.run import validate_model
from test_cli_analyze import run_cli


def _kernels(prefer: str) -> list[str]:
    return [k for la in analyze(EXAMPLE, prefer=prefer).layers for k in la.kernels]


def test_ram_uses_in_place_kernels_and_speed_does_not() -> None:
    ram, speed = analyze(EXAMPLE, prefer="ram"), analyze(EXAMPLE, prefer="speed")
    assert any("_inplace_" in k for k in _kernels("ram"))
    assert not any("_inplace_" in k for k in _kernels("speed"))
    # the example's peak is a 1x1 convolution: in place it needs less RAM
    assert ram.arena_bytes < speed.arena_bytes


@pytest.mark.cc
@pytest.mark.ref
@pytest.mark.parametrize("prefer", ["ram", "speed"])
def test_both_choices_stay_bit_exact(prefer: str, require_cc: str) -> None:
    r = validate_model(EXAMPLE, batches=4, progress=False, prefer=prefer)
    assert r.bit_exact is True


def test_bad_choice_is_refused() -> None:
    with pytest.raises(UsageError, match="prefer"):
        analyze(EXAMPLE, prefer="fast")
    r = run_cli("analyze", "-m", str(EXAMPLE), "--prefer", "fast")
    assert r.returncode == 2 and "Traceback" not in r.stderr
