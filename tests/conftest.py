"""Shared fixtures: paths of the third-party corpus (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _find_models() -> Path:
    """The corpus: $MCUAI_MODELS, else ../shared/models next to the checkout, else the
    workplace's /work/shared/models (CI runs from a clone in a temporary folder)."""
    if "MCUAI_MODELS" in os.environ:
        return Path(os.environ["MCUAI_MODELS"])
    for p in (ROOT.parent / "shared" / "models", Path("/work/shared/models")):
        if p.exists():
            return p
    return ROOT.parent / "shared" / "models"


MODELS = _find_models()
EXAMPLE = ROOT / "examples" / "digits_cnn_int8.tflite"


def corpus_model(rel: str) -> Path:
    """Path of a corpus model; skips the test when the corpus is not on this machine."""
    p = MODELS / rel
    if not p.exists():
        pytest.skip(f"third-party model {rel} not found under {MODELS} (set MCUAI_MODELS)")
    return p


@pytest.fixture
def require_cc() -> str:
    """A host C compiler, or skip."""
    import shutil

    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return cc
    pytest.skip("no host C compiler (install gcc: sudo apt-get install gcc)")
