"""Command-line flags derived from a stage's dataclass config (fields made with
`tracklet_reid.settings.setting`): name, type, default and help are written once, in the config.

Flags default to "not given", so the YAML file (`--config`) and the dataclass defaults show
through; `overrides()` returns the given ones as dotted keys for `tracklet_reid.config_io.load_config`.
"""
from __future__ import annotations

import argparse
import dataclasses
import typing
from typing import Any

_SIZE_SEP = "x"


def _flag_name(f: dataclasses.Field) -> str:
    return f.metadata.get("flag") or f.name.replace("_", "-")


def _scalar_type(hint: Any) -> type:
    """int / float / str out of `X`, `X | None` or `Optional[X]`."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if args else hint
    return base if base in (int, float, str, bool) else str


def _default_text(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def add_config_flags(parser: argparse._ActionsContainer, cls: type, prefix: str = "",
                     skip: tuple[str, ...] = (), defaults: Any = None) -> None:
    """One flag per field of ``cls`` (nested config fields recurse, keeping their own flag names).
    ``defaults``: an instance whose values the help states (a stage may start from other defaults
    than the class's, as extract does for the tracker's reference fps)."""
    hints = typing.get_type_hints(cls)
    inst = defaults if defaults is not None else cls()
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        value = getattr(inst, f.name)
        if dataclasses.is_dataclass(value):
            add_config_flags(parser, type(value), f"{prefix}{f.name}.", skip, value)
            continue
        meta = f.metadata
        if not meta.get("cli", False):
            continue
        names = [f"--{_flag_name(f)}", *meta.get("aliases", ())]
        dest = prefix + f.name
        text = meta["help"].replace("%", "%%")  # argparse formats help with %
        if meta.get("pair"):
            other = getattr(inst, meta["pair"])
            parser.add_argument(*names, dest=dest, default=argparse.SUPPRESS, metavar="HEIGHTxWIDTH",
                                type=_size, help=f"{text} (default "
                                + (f"{value}{_SIZE_SEP}{other})" if value is not None else "unset)"))
            continue
        typ = _scalar_type(hints[f.name])
        if typ is bool:
            parser.add_argument(*names, dest=dest, default=argparse.SUPPRESS, action=argparse.BooleanOptionalAction,
                                help=f"{text} (default {_default_text(value)})")
            continue
        parser.add_argument(*names, dest=dest, default=argparse.SUPPRESS, type=typ, choices=meta.get("choices"),
                            help=f"{text} (default {_default_text(value)})")


def _size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split(_SIZE_SEP))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HEIGHTxWIDTH, e.g. 256x128") from None
    return h, w


def overrides(args: argparse.Namespace, cls: type, prefix: str = "") -> dict[str, Any]:
    """The flags of ``cls`` that were given, as dotted config keys (size flags fill both fields)."""
    out: dict[str, Any] = {}
    given = vars(args)
    for f in dataclasses.fields(cls):
        key = prefix + f.name
        default = f.default if f.default is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default):
            out.update(overrides(args, type(default), key + "."))
            continue
        if key not in given:
            continue
        pair = f.metadata.get("pair")
        if pair:
            out[key], out[prefix + pair] = given[key]
        else:
            out[key] = given[key]
    return out
