"""Error types. Every error a user can cause is an :class:`McuaiError`.

The CLI prints ``error: <message>`` for these and exits with :attr:`McuaiError.exit_code`
(no traceback unless ``--debug``). Anything else escaping to the CLI is a bug in mcuai.
"""

from __future__ import annotations


class McuaiError(Exception):
    """Base of all user-facing errors."""

    exit_code = 2


class ModelError(McuaiError):
    """The model file cannot be read: missing, corrupt, inconsistent."""


class UnsupportedError(McuaiError):
    """The model is valid but uses something mcuai does not support."""


class UsageError(McuaiError):
    """A command-line option or an input file given by the user is wrong."""


class GraphError(McuaiError):
    """The IR is inconsistent (raised by the verifier); names the node at fault."""
