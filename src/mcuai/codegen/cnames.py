"""Identifiers and comments derived from model names. Model names never reach C code except
inside comments, and there only after :func:`comment_text` made them harmless."""

from __future__ import annotations

import re

_SAFE_COMMENT = re.compile(r"[^A-Za-z0-9 _\-.:,;/()\[\]=+#@<>|!%&^~']")


def c_identifier(name: str) -> str:
    """A lower-case C identifier from a user-given or file name (``"MobileNet v2"`` ->
    ``mobilenet_v2``); never empty, never starting with a digit."""
    s = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    s = re.sub(r"_+", "_", s)
    if not s:
        s = "net"
    if s[0].isdigit():
        s = "m_" + s
    return s[:48]


def comment_text(text: str, limit: int = 100) -> str:
    """Text safe inside a C block comment: a fixed allow-list of characters (no ``*``, ``?``,
    backslash, quotes or control characters), truncated to ``limit`` characters."""
    s = _SAFE_COMMENT.sub("_", text)
    return s if len(s) <= limit else s[: limit - 3] + "..."
