"""How fast the command line answers: `pipeline --help`, every sub-command's `--help` and an
argument error, each in a fresh process (best of --repeat), against the 0.5 s target and against
a bare `python -c pass` start on the same machine in the same run.

    .venv/bin/python tools/bench_cli.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.cli import build_parser  # noqa: E402
from pipeline.table import format_table  # noqa: E402

TARGET_S = 0.5


def best_of(argv: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    py = [sys.executable]
    bare = best_of([*py, "-c", "pass"], args.repeat)
    cases = [("--help", ["--help"]), *[(f"{c} --help", [c, "--help"]) for c in sorted(sub.choices)],
             ("learn (argument error)", ["learn"]), ("merge --no-such-flag", ["merge", "s.h5", "--no-such-flag"])]
    rows = []
    for name, argv in cases:
        s = best_of([*py, "-m", "pipeline", *argv], args.repeat)
        rows.append([f"pipeline {name}", round(s, 3), round(s - bare, 3), "yes" if s < TARGET_S else "NO"])
    print(format_table(["command", "seconds", "over python start", f"under {TARGET_S} s"], rows))
    print(f"reference: `python -c pass` starts in {bare:.3f} s here; target {TARGET_S} s per command")
    return 0 if all(r[3] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
