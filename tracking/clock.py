"""The network's clock: when each camera's first frame was seen, in seconds, from `--start-time`
(seconds, or an ISO 8601 date-time) and a per-camera offsets file (YAML or JSON, camera: seconds)
for users who know their cameras start at other times or run fast or slow. Tracklet times are
``start_time + frame / fps`` (tracking/store/schema.py)."""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

from tracklet_reid.errors import InputError


def parse_start_time(text: str | None) -> float:
    """Seconds: a number as it is, an ISO 8601 date-time as POSIX seconds (UTC when it names no
    zone), unset as 0."""
    if text in (None, ""):
        return 0.0
    try:
        value = float(str(text))
    except ValueError:
        try:
            when = _dt.datetime.fromisoformat(str(text))
        except ValueError:
            raise InputError(f"--start-time {text!r}: seconds, or a date-time such as 2026-12-03T08:00:00") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        return when.timestamp()
    if not math.isfinite(value):
        raise InputError(f"--start-time {text!r}: not a finite number of seconds")
    return value


def read_offsets(path: str | None, cameras: list[str]) -> dict[str, float]:
    """camera -> seconds added to the start time; a bad file gets one line naming the entry."""
    if not path:
        return {}
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError(f"--clock-offsets {path}: no such file")
    try:
        data = yaml.safe_load(p.read_text())  # YAML reads JSON too
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"--clock-offsets {path}: not YAML or JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"--clock-offsets {path}: expected a mapping of camera: seconds")
    out = {}
    for cam, value in data.items():
        if str(cam) not in cameras:
            raise InputError(f"--clock-offsets {path}: camera {cam!r} is not among the videos "
                             f"({', '.join(cameras)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"--clock-offsets {path}: camera {cam!r}: {value!r} is not a number of seconds")
        out[str(cam)] = float(value)
    return out


def camera_start_times(start_time: str | None, offsets_file: str | None, cameras: list[str]) -> dict[str, float]:
    base = parse_start_time(start_time)
    offsets = read_offsets(offsets_file, cameras)
    return {cam: base + offsets.get(cam, 0.0) for cam in cameras}
