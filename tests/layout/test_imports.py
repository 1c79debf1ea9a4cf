"""The shape of the code: no import circles between our modules, and a command line that answers
`--help` and argument errors without loading the heavy libraries."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("detection", "tracking", "reid", "pipeline", "tracklet_reid")
HEAVY = ("torch", "cv2", "h5py", "faiss", "onnxruntime", "ultralytics", "ray")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours that ``path`` imports, at the top or inside a function (a lazy import
    closes a circle as surely as an eager one), except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in
                   ast.unparse(node.test) for stmt in node.body for n in ast.walk(stmt)}

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
        found.update(r for n in names if (r := resolve(n)) is not None)
    return found


def import_cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or round a circle (the strongly
    connected components of the import graph with more than one member)."""
    mods = _modules()
    names = sorted(mods)
    at = {n: i for i, n in enumerate(names)}
    edges = [(at[a], at[b]) for a in names for b in _imports(mods[a], mods) if b != a]
    rows, cols = zip(*edges)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names),) * 2)
    _, label = connected_components(graph, directed=True, connection="strong")
    groups = [[names[i] for i in np.flatnonzero(label == c)] for c in np.unique(label)]
    return [g for g in groups if len(g) > 1]


def test_the_cycle_finder_finds_a_circle(tmp_path, monkeypatch):
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
    (tmp_path / "reid" / "a.py").write_text("def f():\n    from reid.b import g\n")
    (tmp_path / "reid" / "b.py").write_text("from reid.a import f\n")
    (tmp_path / "reid" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                            "    from reid.a import f\n")
    (tmp_path / "tracking" / "d.py").write_text("from reid.c import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert import_cycles() == [["reid.a", "reid.b"]]


def test_no_import_cycles():
    assert import_cycles() == [], "modules that import each other (move what they share into a module of its own)"


def test_reid_top_level_is_a_list_of_jobs():
    loose = sorted(p.name for p in (ROOT / "reid").glob("*.py") if p.name != "__init__.py")
    assert loose == ["tracklet_index.py"], f"modules loose at the top of reid/: {loose}; give them a room by job"


_PROBE = """
import contextlib, io, json, sys
from pipeline.cli import build_parser, main
parser = build_parser()
sub = next(a for a in parser._actions if a.dest == "command")
with contextlib.redirect_stdout(io.StringIO()) as out:
    parser.print_help()
    for p in sub.choices.values():
        p.print_help()
codes = []
with contextlib.redirect_stderr(io.StringIO()) as err:
    for argv in (["learn"], ["merge", "s.h5"], ["extract", "--no-such-flag"], ["no-such-command"]):
        try:
            main(argv)
        except SystemExit as exc:
            codes.append(exc.code)
print(json.dumps({"commands": sorted(sub.choices), "codes": codes, "help_chars": len(out.getvalue()),
                  "loaded": sorted(m for m in %r if m in sys.modules)}))
"""


def test_every_help_and_argument_error_loads_no_heavy_library():
    """In a fresh interpreter: the whole parser built, every sub-command's help printed and four
    argument errors answered leave torch, cv2, h5py, faiss (and the other heavy ones) unloaded."""
    run = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert {"extract", "learn", "merge", "match", "demo"} <= set(seen["commands"])
    assert seen["codes"] == [2, 2, 2, 2]
    assert seen["help_chars"] > 5000
    assert seen["loaded"] == [], f"parsing loaded {seen['loaded']}: import them where the command runs"
