"""`--global-id N`: a person as render draws them and match's global_ids.csv lists them, addressable
in search, forget, render and export-dataset.

The number lives in a match output (global_ids.csv: the same number render draws from its mot/ and
the report shows). `--ids` names the file or the match folder; without it, the match outputs beside
the store (their manifests name the store as input) are used when exactly one is complete and not
stale, so a user who ran match once types nothing more.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

from tracklet_reid.errors import InputError

IDS_FILE = "global_ids.csv"


def add_global_id_flags(p: argparse.ArgumentParser, group=None) -> None:
    """``--global-id`` (into ``group`` when given: a mutually exclusive query group) and ``--ids``."""
    (group or p).add_argument("--global-id", type=int, help="a person by the number render draws and match's "
                              "global_ids.csv gives (read from --ids)")
    p.add_argument("--ids", help="match's global_ids.csv or its output folder, for --global-id (default: the one "
                   "match output beside the store)")


def find_ids_file(store: str | Path, ids: str | None) -> Path:
    """The global_ids.csv that --global-id reads, or one line saying why none can be chosen."""
    from tracklet_reid.manifest import derived_from

    if ids:
        p = Path(ids)
        p = p / IDS_FILE if p.is_dir() else p
        if not p.is_file():
            raise InputError(f"--ids {ids}: no {IDS_FILE} there (give match's output folder or its {IDS_FILE})")
        return p
    store_p = Path(store)
    matches = [(f, m) for f, m in derived_from([store_p], [store_p.parent]) if m.get("command") == "match"]
    found = [f for f, m in matches if m.get("complete") and not m.get("stale") and (f / IDS_FILE).is_file()]
    if not found:
        stale = [f"{f} ({m['stale']})" for f, m in matches if m.get("stale")]
        raise InputError(f"--global-id: no match output for {store} beside it"
                         + (f"; the one there is stale: {stale[0]}" if stale else "; run `pipeline match` first")
                         + f", or give --ids with a {IDS_FILE}")
    if len(found) > 1:
        raise InputError(f"--global-id: {len(found)} match outputs for {store} ({', '.join(map(str, found))}); "
                         "say which with --ids")
    return found[0] / IDS_FILE


def global_id_members(store: str | Path, ids: str | None, gid: int) -> tuple[list[tuple[str, int]], Path]:
    """The (camera, tracklet) addresses match gave global id ``gid``, longest first; and the file read."""
    path = find_ids_file(store, ids)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "global_id" not in rows[0]:
        raise InputError(f"{path}: not match's {IDS_FILE} (needs camera, tracklet and global_id columns)")
    members = [r for r in rows if int(r["global_id"]) == gid]
    if not members:
        top = max(int(r["global_id"]) for r in rows)
        raise InputError(f"--global-id {gid}: no such person in {path} (ids 1..{top})")
    members.sort(key=lambda r: int(r["first_frame"]) - int(r["last_frame"]))
    return [(r["camera"], int(r["tracklet"])) for r in members], path
