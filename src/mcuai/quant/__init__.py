"""Requantization math computed once, in Python, at generation time (TFLM's "Prepare")."""
