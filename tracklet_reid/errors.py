"""The error types a user sees as a single line.

This module imports nothing of ours, so every package (detection, tracking, reid, pipeline) can
raise them without importing upwards; the CLI prints the message and exits non-zero, with no
traceback.
"""
from __future__ import annotations


class InputError(Exception):
    """Bad input the user can fix. The message names the file (or folder) and the problem."""


class StoreError(InputError):
    """A tracklet store file that cannot be used as asked (missing, foreign, truncated, locked)."""


def first_line(exc: BaseException, limit: int | None = None, default: str = "") -> str:
    """The first non-empty line of an exception's message (libraries put tracebacks and hints in
    the rest), cut to ``limit`` characters; ``default`` when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else default
