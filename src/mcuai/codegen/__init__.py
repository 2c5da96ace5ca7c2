"""C code generation: a lowered :class:`~mcuai.lower.program.Program` and its memory plan become
``<name>.h``, ``<name>.c``, ``<name>_data.c``, the kernels it uses and build fragments."""
