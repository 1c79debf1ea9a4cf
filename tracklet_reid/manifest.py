"""The manifest every output folder holds (`manifest.json`): which command wrote it, from which
inputs (paths with their size and modification time), with which settings, and every file it wrote.

It is what keeps outputs from going stale: a rerun into the folder first removes every file the
previous run listed (so no `identities/4.png` of an earlier run survives beside a CSV that gives id 4
to someone else), and a folder holding our file names without a manifest is refused rather than
mixed. `pipeline forget` follows manifests to find what was derived from a store (and what was
derived from that: a render of match's `mot/`), and marks those folders stale.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Mapping

from tracklet_reid.errors import InputError

MANIFEST = "manifest.json"
FORMAT = "tracklet-reid/output"
# folders under an input that the signature walks: enough for a camera folder of frames, bounded so
# that a manifest never costs a crawl of a whole disk
_MAX_SIGNED_FILES = 20000


def input_signature(path: str | os.PathLike) -> dict:
    """What identifies an input's content cheaply: a file's size and modification time; a folder's
    digest of its files' relative paths, sizes and times (a video re-recorded at the same path, or a
    camera added to a folder, changes it)."""
    p = Path(path).expanduser().resolve()
    if p.is_file():
        st = p.stat()
        return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    if p.is_dir():
        h = hashlib.sha1()
        n = 0
        for f in sorted(p.rglob("*")):
            if n >= _MAX_SIGNED_FILES:
                break
            if f.is_file():
                st = f.stat()
                h.update(f"{f.relative_to(p)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
                n += 1
        return {"path": str(p), "files": n, "digest": h.hexdigest()}
    return {"path": str(p), "missing": True}


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The folder's manifest, or None when it has none (or one that is not ours)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def write_manifest(folder: Path, command: str, inputs: Mapping[str, "str | os.PathLike | None"],
                   settings: Mapping | None, files: list[str], complete: bool = True) -> None:
    """Atomically: a kill while writing leaves the previous manifest or the new one."""
    data = {"format": FORMAT, "command": command, "argv": " ".join(["pipeline", *sys.argv[1:]])
            if Path(sys.argv[0]).name in ("pipeline", "__main__.py") else None,
            "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "complete": complete,
            "inputs": {k: input_signature(v) for k, v in inputs.items() if v},
            "settings": dict(settings or {}), "files": sorted(files), "stale": None}
    _save(folder, data)


def _save(folder: Path, data: dict) -> None:
    """The manifest written beside and renamed over the old one: never half a file."""
    tmp = folder / (MANIFEST + ".partial")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, folder / MANIFEST)


def listed_files(folder: Path, manifest: dict) -> list[Path]:
    """The manifest's files that exist, inside the folder only (a manifest is data: a path in it
    never reaches outside)."""
    root = folder.resolve()
    out = []
    for rel in manifest.get("files", []):
        p = (folder / str(rel)).resolve()
        if root in p.parents and p.is_file():
            out.append(p)
    return out


def remove_listed(folder: Path, manifest: dict, keep: tuple[str, ...] = ()) -> int:
    """Delete the files an earlier run listed (but ``keep``), then every folder under ``folder``
    left empty (and any the run made and never filled: identities/ of a match with none); how many
    files went."""
    root = folder.resolve()
    gone = [p for p in listed_files(folder, manifest) if str(p.relative_to(root)) not in keep]
    for p in gone:
        p.unlink(missing_ok=True)
    for d in sorted((d for d in folder.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        try:
            d.rmdir()
        except OSError:
            pass
    return len(gone)


def files_under(folder: Path) -> set[str]:
    """Every file under ``folder`` as a relative path (the manifest itself left out)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and p.name not in (MANIFEST, MANIFEST + ".partial")}


def claim(folder: Path, writes: tuple[str, ...], settings: Mapping | None, force: bool | None,
          clean: bool = True) -> set[str]:
    """Before a run writes into ``folder``: the previous run's files removed (``clean``), or a refusal
    in one line: our file names there without a manifest, or blurred output about to be replaced by
    unblurred (``force`` None: the command has no --force). Returns the files left that are not ours."""
    old = read_manifest(folder)
    if old is None:
        ours = [w for w in writes if (folder / w).exists()]
        if ours and clean:
            raise InputError(f"{folder}: holds {', '.join(ours)} with no {MANIFEST} (from an older version, or not "
                             "ours); delete them or choose another output folder, so that no stale file is mixed "
                             "with this run's")
    else:
        was_blurred = bool(old.get("settings", {}).get("blur_faces"))
        if was_blurred and not (settings or {}).get("blur_faces") and not force:
            how = "--blur-faces again" + ("" if force is None else ", or --force to replace it unblurred")
            raise InputError(f"{folder}: holds output with heads blurred ({old.get('command')}); this run would "
                             f"replace it unblurred: give {how}, or choose another output folder")
        if clean:
            remove_listed(folder, old)
        else:  # a resumed run: what the earlier one wrote stays listed as ours
            return files_under(folder) - set(old.get("files", []))
    return files_under(folder)


def mark_stale(folder: Path, reason: str, keep: tuple[str, ...] = ()) -> int:
    """Delete the files a folder's manifest lists (but ``keep``) and record why in the manifest;
    how many files went. The manifest stays: the folder says what it was and how to remake it."""
    data = read_manifest(folder)
    if data is None:
        return 0
    gone = remove_listed(folder, data, keep)
    data["files"] = [f for f in data.get("files", []) if (folder / f).exists()]
    data["stale"] = reason
    data["complete"] = False
    _save(folder, data)
    return gone


def derived_from(roots: list[Path], search: list[Path], max_depth: int = 3) -> list[tuple[Path, dict]]:
    """Every output folder (a manifest under ``search``, at most ``max_depth`` levels down) whose
    inputs are one of ``roots`` or lie inside a folder already found: what a change to the roots
    makes stale, transitively (a render of match's mot/ of the store)."""
    found: dict[Path, dict] = {}
    for base in search:
        base = base.resolve()
        if not base.is_dir():
            continue
        for depth in range(max_depth + 1):
            for m in base.glob("/".join(["*"] * depth + [MANIFEST])):
                data = read_manifest(m.parent)
                if data is not None:
                    found[m.parent.resolve()] = data
    targets = {r.resolve() for r in roots}
    hit: dict[Path, dict] = {}
    changed = True
    while changed:
        changed = False
        for folder, data in found.items():
            if folder in hit:
                continue
            paths = [Path(v["path"]) for v in data.get("inputs", {}).values() if isinstance(v, dict) and "path" in v]
            if any(p in targets or any(p == t or t in p.parents for t in hit) for p in paths):
                hit[folder] = data
                changed = True
    return sorted(hit.items())
