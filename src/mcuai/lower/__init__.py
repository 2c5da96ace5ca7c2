"""Lowering ("prepare"): pick a kernel variant per node and compute everything it needs.

Every op's ``lower`` method (in ``ops/<op>.py``) turns one node into :class:`Call` objects:
the C kernel function, its arguments (tensor pointers, constant arrays, parameter structs,
literals) and its scratch needs. Multipliers, shifts, lookup tables and repacked weights are
computed here, once, in Python; the generated C only executes.
"""
