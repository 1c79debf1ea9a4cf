"""The `pipeline` command. Orchestration only: one module per sub-command, each building its
parser from light imports (configs) and importing its stage when it runs, so that
`pipeline --help` answers without loading torch, cv2 or h5py."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from pipeline import (
    combine,
    demo,
    evaluate,
    evaluate_mot,
    export_dataset,
    extract,
    forget,
    import_benchmark,
    inspect_store,
    learn,
    match,
    merge,
    render,
    search,
    topology,
    track,
)

# the order `pipeline --help` lists them in: the data's path through the stages
COMMANDS = (extract, combine, track, evaluate_mot, inspect_store, import_benchmark, learn, evaluate, merge, topology,
            match, search, render, forget, export_dataset, demo)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipeline",
        description="tracklet-reid: video -> tracklets -> label-free re-id (UTAL) -> merged trajectories",
    )
    p.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      line: str | None = None) -> str:
    return f"pipeline: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import warnings

    from tracklet_reid.errors import InputError, first_line

    # our warnings name the file and the problem already; no source line, no module path. Set
    # for the command's run only, and put back after it: a library caller keeps its own format.
    previous_format = warnings.formatwarning
    warnings.formatwarning = _one_line_warning
    # ffmpeg's per-packet complaints about damaged video; extract warns once per camera instead.
    # Set by the command, not by the library on import: a library caller decides for itself.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"pipeline {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"pipeline {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything unforeseen: one line, the traceback on request
        if args.debug:
            raise
        from tracklet_reid.output_paths import io_error_line, is_disk_full

        if is_disk_full(exc) or isinstance(exc, (PermissionError, IsADirectoryError, NotADirectoryError,
                                                 FileNotFoundError)):
            print(f"pipeline {args.command}: error: {io_error_line(exc)}", file=sys.stderr)
            return 1
        first = first_line(exc)
        print(f"pipeline {args.command}: unexpected error: {type(exc).__name__}"
              + (f": {first}" if first else "") + " (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    finally:
        warnings.formatwarning = previous_format


if __name__ == "__main__":
    sys.exit(main())
