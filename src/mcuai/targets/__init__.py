"""Where generated code runs: the host (shared library through ctypes, or a standalone
executable for sanitizer runs) and, later, emulated Cortex-M cores."""
