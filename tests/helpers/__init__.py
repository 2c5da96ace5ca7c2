"""Test helpers (not part of the package)."""
