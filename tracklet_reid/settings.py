"""`setting()`: a dataclass field that carries its command-line help, so a stage's config class
is the one place where a setting's name, type, default and meaning are written. The `pipeline`
command derives its flags from these fields (pipeline/flags.py); defaults cannot drift between the
library, the flags and their help. Imports nothing of ours: every package may use it."""
from __future__ import annotations

import dataclasses
from typing import Any


def setting(default: Any, help: str, *, flag: str | None = None, choices: tuple[str, ...] | None = None,
            aliases: tuple[str, ...] = (), pair: str | None = None, cli: bool = True) -> Any:
    """A config field with its flag's help. ``flag``: the flag's name when it differs from the
    field's (without dashes); ``aliases``: older flag names that still work; ``pair``: the field
    that a ``HEIGHTxWIDTH`` flag fills together with this one; ``cli=False``: no flag."""
    meta = {"help": help, "flag": flag, "choices": choices, "aliases": aliases, "pair": pair, "cli": cli}
    return dataclasses.field(default=default, metadata=meta)
