"""The one error type a user sees as a single line.

It lives in the lowest package so that every stage (detection, tracking, reid, pipeline) can raise
it without importing upwards; the CLI prints its message and exits non-zero, with no traceback.
"""
from __future__ import annotations


class InputError(Exception):
    """Bad input the user can fix. The message names the file (or folder) and the problem."""
