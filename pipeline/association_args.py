"""The arguments merge and match share: the store, the model, the output folder, the tracker
output to relabel, the baseline to compare with, and how tracklets are embedded."""
from __future__ import annotations

import argparse

from pipeline.flags import add_config_flags
from reid.embedding_config import EmbedConfig


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--model", required=True, help="a `pipeline learn` folder, or a baseline: "
                   "imagenet:BACKBONE[:WEIGHTS] or colour")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--mot", help="folder of the cameras' tracker output (extract --mot-out) to relabel")
    p.add_argument("--baseline", default="auto", help="features to compare with (default: the model's "
                   "backbone with the weights it started from; 'none' to skip)")
    add_config_flags(p.add_argument_group("embedding"), EmbedConfig)
    p.add_argument("-q", "--quiet", action="store_true")


def baseline_spec(args: argparse.Namespace) -> str | None:
    from reid.embedding import baseline_for

    if args.baseline == "none":
        return None
    return baseline_for(args.model) if args.baseline == "auto" else args.baseline
