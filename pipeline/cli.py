"""The `pipeline` command. Orchestration only: each sub-command imports its stage lazily so that
`pipeline --help` answers without loading torch, cv2 or h5py."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from pipeline import commands

NOT_BUILT: dict[str, str] = {}


def _not_built(name: str) -> Callable[[argparse.Namespace], int]:
    def run(_: argparse.Namespace) -> int:
        print(f"pipeline {name}: not built yet ({NOT_BUILT[name]})", file=sys.stderr)
        return 2

    return run


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
    for name, text in NOT_BUILT.items():
        sp = sub.add_parser(name, help=f"{text} (not built yet)", add_help=True)
        sp.add_argument("args", nargs=argparse.REMAINDER)
        sp.set_defaults(func=_not_built(name))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from detection.errors import InputError

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
