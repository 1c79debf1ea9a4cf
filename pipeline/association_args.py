"""The arguments merge and match share: the store, the model, the output folder, the tracker
output to relabel, the baseline to compare with, and how tracklets are embedded."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from pipeline.flags import add_config_flags
from reid.embedding_config import EmbedConfig

if TYPE_CHECKING:
    from reid.embedding import TrackletFeatures


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


def embed_baseline(tf: TrackletFeatures, baseline: str | None, emb: EmbedConfig, command: str,
                   quiet: bool) -> TrackletFeatures | None:
    """The same tracklets embedded by the baseline, at the model's input size; a baseline that
    cannot be loaded is skipped with one line (the comparison is extra, the result is not)."""
    from reid.embedding import embed_store
    from tracklet_reid.errors import InputError

    if not baseline:
        return None
    try:
        return embed_store(tf.store, baseline, emb, progress=not quiet, input_hw=tf.input_hw)
    except InputError as exc:
        print(f"pipeline {command}: baseline skipped: {exc}", file=sys.stderr)
        return None


def baseline_spec(args: argparse.Namespace) -> str | None:
    from reid.embedding import baseline_for

    if args.baseline == "none":
        return None
    return baseline_for(args.model) if args.baseline == "auto" else args.baseline
