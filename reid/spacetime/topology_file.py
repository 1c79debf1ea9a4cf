"""topology.json: the learnt camera network as a file a user can read, edit and pass back.

What a user may change: ``forbid`` (camera pairs that must never be linked: their routes are
dropped), a camera's ``offset_s`` with ``"fixed": true`` (the clock offset they know), or a
route removed outright. Everything is checked on reading, and a malformed or inconsistent file is
refused in one line that names the entry (`InputError`).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from reid.spacetime.topology import KINDS, PairEvidence, Route, Topology
from reid.spacetime.zones import Zones
from tracklet_reid.errors import InputError

FORMAT = "tracklet-reid topology"
VERSION = 1


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def topology_dict(topo: Topology, summary: dict | None = None) -> dict:
    names = topo.cameras
    fixed_offsets = {int(k) for k in topo.fixed.get("offsets", {})}
    cameras = [{"name": n, "offset_s": _r(topo.offsets[c]), "offset_known": bool(topo.offset_known[c]),
                "clock_group": int(topo.group[c]), "fixed": c in fixed_offsets, "zones": topo.zones[c].as_dict()}
               for c, n in enumerate(names)]
    routes = []
    for r in topo.routes():
        routes.append({"from": names[r.source], "to": names[r.target], "kind": r.kind, "lag_s": _r(r.lag),
                       "transit_s": _r(r.transit), "spread_s": _r(r.sd), "matches": _r(r.matches, 2),
                       "share": _r(r.weight, 4), "evidence": _r(r.gain, 2), "seen_between": _r(r.between, 3),
                       "found_by": r.found_by,
                       "zones": None if r.zones is None else np.round(r.zones, 5).tolist(),
                       "histogram": r.histogram})
    pairs = [{"cameras": [names[a], names[b]], "matches": p.matches, "chance": _r(p.chance, 4),
              "routes": len(p.routes)} for p in topo.pairs for a, b in [p.cameras]]
    return {"format": FORMAT, "version": VERSION, "cameras": cameras, "routes": routes, "pairs": pairs,
            "forbid": [[names[a], names[b]] for a, b in topo.fixed.get("forbid", [])],
            "summary": summary or topology_summary(topo)}


def topology_summary(topo: Topology) -> dict:
    """What a reader wants first: links, shared views, re-entries, and how much time explained."""
    names = topo.cameras
    links = sorted({tuple(sorted((names[r.source], names[r.target]))) for r in topo.links()})
    shared = sorted({tuple(sorted((names[r.source], names[r.target]))) for r in topo.routes() if r.kind == "overlap"})
    matches = sum(p.matches for p in topo.pairs if p.cameras[0] != p.cameras[1])
    explained = sum((1 - p.chance) * p.matches for p in topo.pairs if p.cameras[0] != p.cameras[1])
    return {"links": [list(x) for x in links], "overlapping": [list(x) for x in shared],
            "re_entries": sorted({names[r.source] for r in topo.routes() if r.kind == "re-entry"}),
            "matches": int(matches), "explained_by_time": _r(explained / matches if matches else 0.0, 4)}


def write_topology(topo: Topology, path: str | Path, summary: dict | None = None) -> None:
    Path(path).write_text(json.dumps(topology_dict(topo, summary), indent=1))


def _number(v, where: str, minimum: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InputError(f"{where}: {v!r} is not a finite number")
    if minimum is not None and v < minimum:
        raise InputError(f"{where}: {v} is below {minimum}")
    return float(v)


def _camera(name, pos: dict[str, int], where: str, path) -> int:
    if name not in pos:
        raise InputError(f"{path}: {where} names camera {name!r}, which the store does not have "
                         f"(has: {', '.join(pos)})")
    return pos[name]


def _load(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"--topology {path}: no such file")
    try:
        return _check(json.loads(p.read_text()), path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a topology file (not JSON: {exc})") from None


def _check(doc, path: str | Path) -> dict:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{path}: not a topology file (no \"format\": \"{FORMAT}\"; `pipeline topology` "
                         "makes one)")
    if doc.get("version") != VERSION:
        raise InputError(f"{path}: topology version {doc.get('version')!r}; this version reads {VERSION}")
    for key in ("cameras", "routes", "forbid"):
        if not isinstance(doc.get(key, []), list):
            raise InputError(f"{path}: \"{key}\" must be a list")
    return doc


def _zones(zs, where: str) -> Zones:
    zs = zs or [{"x": 0.5, "y": 0.5, "radius": 0.5, "share": 1.0}]
    if not isinstance(zs, list) or not all(isinstance(z, dict) for z in zs):
        raise InputError(f"{where}.zones must be a list of objects")
    centres = [[_number(z.get("x"), f"{where}.zones[{n}].x"), _number(z.get("y"), f"{where}.zones[{n}].y")]
               for n, z in enumerate(zs)]
    radius = [_number(z.get("radius", 0.1), f"{where}.zones[{n}].radius", 0) for n, z in enumerate(zs)]
    share = [_number(z.get("share", 1.0), f"{where}.zones[{n}].share", 0) for n, z in enumerate(zs)]
    return Zones(np.array(centres), np.array(radius), np.array(share))


def _route(r, where: str, s: int, t: int, zones: list[Zones], cameras: list[str]) -> Route:
    kind = r.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}.kind {kind!r}: one of {', '.join(KINDS)}")
    if (s == t) != (kind == "re-entry"):
        raise InputError(f"{where}: a {kind} route {'must' if kind == 're-entry' else 'cannot'} stay in one camera")
    zt = None
    if r.get("zones") is not None:
        zt = np.asarray(r["zones"], np.float64)
        shape = (len(zones[s].centres), len(zones[t].centres))
        if zt.shape != shape or not np.isfinite(zt).all() or (zt < 0).any():
            raise InputError(f"{where}.zones: expected a {shape[0]} x {shape[1]} table of probabilities (the zones "
                             f"of {cameras[s]} and {cameras[t]})")
        zt = zt / max(zt.sum(), 1e-12)
    transit = r.get("transit_s")
    return Route(s, t, kind, _number(r.get("lag_s"), f"{where}.lag_s"),
                 _number(r.get("spread_s"), f"{where}.spread_s", 1e-3),
                 _number(r.get("share", 1.0), f"{where}.share", 0),
                 _number(r.get("matches", 1.0), f"{where}.matches", 0),
                 _number(r.get("evidence", 0.0), f"{where}.evidence"), zt,
                 transit=None if transit is None else _number(transit, f"{where}.transit_s"),
                 histogram=r.get("histogram") or {},
                 between=_number(r.get("seen_between", 0.0), f"{where}.seen_between", 0),
                 found_by="presence" if r.get("found_by") == "presence" else "timing")


def read_topology(path: str | Path, cameras: list[str]) -> Topology:
    """The topology in ``path`` for a store with ``cameras``; refused in one line when malformed."""
    return topology_from_dict(_load(path), cameras, path)


def topology_from_dict(doc: dict, cameras: list[str], path: str | Path = "topology") -> Topology:  # noqa: C901
    """`topology_dict`'s output back (``path`` names it in errors)."""
    doc = _check(doc, path)
    pos = {c: k for k, c in enumerate(cameras)}
    C = len(cameras)
    offsets, known, group = np.zeros(C), np.zeros(C, bool), np.arange(C)
    zones = [Zones(np.array([[0.5, 0.5]]), np.array([0.5]), np.array([1.0])) for _ in range(C)]
    fixed: dict = {"offsets": {}, "forbid": []}
    for k, cam in enumerate(doc.get("cameras", [])):
        where = f"{path}: cameras[{k}]"
        if not isinstance(cam, dict):
            raise InputError(f"{where} must be an object")
        c = _camera(cam.get("name"), pos, f"cameras[{k}]", path)
        offsets[c] = _number(cam.get("offset_s", 0.0), f"{where}.offset_s")
        known[c] = bool(cam.get("offset_known", True))
        group[c] = int(_number(cam.get("clock_group", c), f"{where}.clock_group", 0))
        if cam.get("fixed"):
            fixed["offsets"][c] = offsets[c]
        zones[c] = _zones(cam.get("zones"), where)
    for k, pair in enumerate(doc.get("forbid", [])):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InputError(f"{path}: forbid[{k}] must be a pair of camera names")
        fixed["forbid"].append(tuple(sorted(_camera(n, pos, f"forbid[{k}]", path) for n in pair)))
    forbidden = set(fixed["forbid"])
    pairs: dict[tuple[int, int], PairEvidence] = {}
    for k, r in enumerate(doc.get("routes", [])):
        if not isinstance(r, dict):
            raise InputError(f"{path}: routes[{k}] must be an object")
        s = _camera(r.get("from"), pos, f"routes[{k}].from", path)
        t = _camera(r.get("to"), pos, f"routes[{k}].to", path)
        route = _route(r, f"{path}: routes[{k}]", s, t, zones, cameras)
        key = (min(s, t), max(s, t))
        if key not in forbidden:
            pairs.setdefault(key, PairEvidence(key, 0, 0.0, [])).routes.append(route)
    for k, entry in enumerate(doc.get("pairs", [])):  # every fitted camera pair, with routes or not
        where = f"{path}: pairs[{k}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("cameras"), list) or len(entry["cameras"]) != 2:
            raise InputError(f"{where} must be an object with a pair of \"cameras\"")
        a, b = (_camera(n, pos, f"pairs[{k}].cameras", path) for n in entry["cameras"])
        key = (min(a, b), max(a, b))
        ev = pairs.setdefault(key, PairEvidence(key, 0, 0.0, []))
        ev.matches = int(_number(entry.get("matches", 0), f"{where}.matches", 0))
        ev.chance = _number(entry.get("chance", 0.0), f"{where}.chance", 0)
    for p in pairs.values():
        p.matches = p.matches or int(round(sum(r.matches for r in p.routes)))
    return Topology(list(cameras), zones, list(pairs.values()), offsets, known, group, fixed)
