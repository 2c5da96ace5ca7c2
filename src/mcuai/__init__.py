"""mcuai: deploy quantized neural networks on microcontrollers.

The package is one pipeline in one direction (see ``docs/architecture.md``)::

    frontends -> passes -> memory -> lower -> codegen -> targets -> validate/report

Every command of the CLI is also a Python function in :mod:`mcuai.api`.
"""

__version__ = "0.1.0"
