"""The `pipeline` command. Orchestration only: each sub-command imports its stage lazily so that
`pipeline --help` answers without loading torch, cv2 or h5py."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from pipeline import commands


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipeline",
        description="tracklet-reid: video -> tracklets -> label-free re-id (UTAL) -> merged trajectories",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    commands.add_extract(sub)
    commands.add_track(sub)
    commands.add_evaluate_mot(sub)
    commands.add_inspect(sub)
    commands.add_import(sub)
    commands.add_learn(sub)
    commands.add_evaluate(sub)
    commands.add_merge(sub)
    commands.add_match(sub)
    commands.add_demo(sub)
    return p


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"pipeline: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import warnings

    from detection.errors import InputError

    # our warnings name the file and the problem already; no source line, no module path
    warnings.formatwarning = _one_line_warning

    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"pipeline {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"pipeline {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
