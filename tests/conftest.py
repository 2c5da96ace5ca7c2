"""Shared fixtures: paths of the third-party corpus (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(os.environ.get("MCUAI_MODELS", ROOT.parent / "shared" / "models"))
EXAMPLE = ROOT / "examples" / "digits_cnn_int8.tflite"


def corpus_model(rel: str) -> Path:
    """Path of a corpus model; skips the test when the corpus is not on this machine."""
    p = MODELS / rel
    if not p.exists():
        pytest.skip(f"third-party model {rel} not found under {MODELS} (set MCUAI_MODELS)")
    return p
