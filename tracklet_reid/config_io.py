"""Reading and writing stage configs: defaults <- YAML file <- flags, unknown keys refused with a
message naming them; the effective config is saved next to every output."""
from __future__ import annotations

import dataclasses
import json
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
    defaults = cls()
    for name, value in data.items():
        current = getattr(defaults, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise InputError(f"{where}: {name} must be a mapping")
            merged = {**to_dict(current), **value}
            kwargs[name] = from_dict(type(current), merged, f"{where}.{name}")
        else:
            kwargs[name] = value
    return cls(**kwargs)


def load_config(cls: type[T], path: str | None, overrides: dict) -> T:
    """Defaults <- YAML file <- flags (``overrides`` holds dotted keys, None = not given)."""
    data: dict = {}
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
        data = loaded
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
