"""Reading and writing stage configs: defaults <- YAML file <- flags, unknown keys refused with a
message naming them; the effective config is saved next to every output."""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, cast

from tracklet_reid.errors import InputError

T = TypeVar("T")


def to_dict(cfg: Any) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def from_dict(cls: type[T], data: dict, where: str = "config") -> T:
    """Build a (nested) dataclass from a dict, rejecting unknown keys with a message naming them."""
    fields = {f.name: f for f in dataclasses.fields(cast(Any, cls))}
    unknown = set(data) - set(fields)
    if unknown:
        raise InputError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(fields)})")
    kwargs = {}
    hints = typing.get_type_hints(cls)
    defaults = cls()
    for name, value in data.items():
        current = getattr(defaults, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise InputError(f"{where}: {name} must be a mapping")
            merged = {**to_dict(current), **value}
            kwargs[name] = from_dict(type(current), merged, f"{where}.{name}")
        else:
            kwargs[name] = _checked(value, hints.get(name), f"{where}: {name}")
    return cls(**kwargs)


def _checked(value: Any, hint: Any, what: str) -> Any:
    """``value`` if it fits the field's type (an int where a float goes is fine); otherwise one line.
    YAML reads `lr: 1e-3` as a string and `epochs: ten` as one: both are caught here, not deep in torch."""
    allowed = set(typing.get_args(hint)) if typing.get_origin(hint) in (typing.Union, types.UnionType) else {hint}
    if value is None and type(None) in allowed:
        return None
    if bool in allowed:
        if isinstance(value, bool):
            return value
    elif float in allowed and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    elif int in allowed and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif str in allowed and isinstance(value, str):
        return value
    elif not allowed & {bool, int, float, str}:
        return value  # a type this check does not know: the config's own validate() decides
    if float in allowed and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    names = " or ".join(sorted(t.__name__ for t in allowed if t is not type(None)))
    raise InputError(f"{what} must be {names}, not {value!r} ({type(value).__name__})")


def load_config(cls: type[T], path: str | None, overrides: dict, base: dict | None = None) -> T:
    """Defaults <- ``base`` (a preset) <- YAML file <- flags (``overrides`` holds dotted keys,
    None = not given)."""
    data: dict = dict(base or {})
    if path:
        import yaml

        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such config file")
        try:
            loaded = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(loaded, dict):
            raise InputError(f"{p}: a config file must hold a mapping of settings")
        data.update(loaded)
    for key, value in overrides.items():
        if value is None:
            continue
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return from_dict(cls, data, str(path) if path else "flags")


def save_config(cfg: Any, path: Path) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
