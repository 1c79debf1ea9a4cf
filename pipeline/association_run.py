"""What merge and match share: their common arguments (the store, the model, the output folder,
the tracker output to relabel, the baseline to compare with, how tracklets are embedded) and one
runner that checks them, opens the output folder, embeds the tracklets (and the baseline's) and
hands them to the command's own step."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pipeline.flags import add_config_flags
from reid.models.embedding_config import MODEL_HELP, EmbedConfig

if TYPE_CHECKING:
    from reid.models.embedding import TrackletFeatures


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--mot", help="folder of the cameras' tracker output (extract --mot-out) to relabel")
    p.add_argument("--baseline", default="auto", help="features to compare with (default: the model's "
                   "backbone with the weights it started from; 'none' to skip)")
    add_config_flags(p.add_argument_group("embedding"), EmbedConfig)
    p.add_argument("--blur-faces", action="store_true", help="blur the head region of every picture in the "
                   "report and contact sheets (the top 22 %% of each person box)")
    p.add_argument("-q", "--quiet", action="store_true")


def embed_for_association(store: str, model: str, emb: EmbedConfig, mot_dir: str | None,
                          quiet: bool) -> TrackletFeatures:
    """The store's tracklets embedded by ``model``, once the tracker output is known to be theirs."""
    from reid.eval.association import check_tracks_belong
    from reid.models.embedding import embed_store
    from reid.tracklet_index import TrackletIndex
    from tracking.store import TrackletStore

    st = TrackletStore(store)
    index = TrackletIndex.from_store(st)
    check_tracks_belong(index, st, mot_dir)
    return embed_store(st, model, emb, progress=not quiet, index=index, thirds=True)


def embed_baseline(tf: TrackletFeatures, baseline: str | None, emb: EmbedConfig, command: str,
                   quiet: bool) -> TrackletFeatures | None:
    """The same tracklets embedded by the baseline, at the model's input size; a baseline that
    cannot be loaded is skipped with one line (the comparison is extra, the result is not)."""
    from reid.models.embedding import embed_store
    from tracklet_reid.errors import InputError

    if not baseline:
        return None
    try:
        return embed_store(tf.store, baseline, emb, progress=not quiet, input_hw=tf.input_hw, index=tf.index,
                           thirds=True)
    except InputError as exc:
        print(f"pipeline {command}: baseline skipped: {exc}", file=sys.stderr)
        return None


def baseline_spec(args: argparse.Namespace) -> str | None:
    from reid.models.embedding import baseline_for

    if args.baseline == "none":
        return None
    return baseline_for(args.model) if args.baseline == "auto" else args.baseline


@dataclass
class AssociationRun:
    """What a merge or match step gets from the runner."""

    features: TrackletFeatures
    baseline: TrackletFeatures | None  # the same tracklets embedded by the baseline, when it loaded
    out: Path  # the output folder, checked and open
    mot_dir: str | None
    gt_dir: str | None
    quiet: bool
    blur_faces: bool


# noqa reason: the command's inputs stay named (the store, model, output folder, embedding, the
# files to score against, the report switches) rather than bundled into a one-use object
def run_association(command: str, writes: tuple[str, ...], step: Callable[[AssociationRun], dict],  # noqa: PLR0913
                    store: str, model: str, out: str, emb: EmbedConfig, mot_dir: str | None = None,
                    gt_dir: str | None = None, baseline: str | None = None, quiet: bool = False,
                    blur_faces: bool = False, check: Callable[[TrackletFeatures], None] | None = None,
                    across_cameras: bool = False) -> dict:
    """The flags and the store's cameras checked (before any work: two for ``across_cameras``, a tracker
    output and ground truth file for each), ``out`` opened (an input at one of ``writes`` refused),
    the tracklets embedded, ``check`` run on them before the baseline costs anything, then ``step``."""
    from reid.eval.association import check_mot_dirs
    from tracking.store import TrackletStore
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import output_folder

    with TrackletStore(store) as st:
        cameras = st.cameras
    if across_cameras and len(cameras) < 2:
        raise InputError(f"{store}: matching across cameras needs at least two cameras with complete tracklets (has "
                         f"{len(cameras)}: {', '.join(cameras) or 'none'})")
    check_mot_dirs(mot_dir, gt_dir, cameras)
    import dataclasses

    settings = {"model": model, "baseline": baseline, "blur_faces": blur_faces, **dataclasses.asdict(emb)}
    with output_folder(out, {"store": store, "--mot": mot_dir, "--gt": gt_dir, "--model": model}, writes,
                       command=command, settings=settings) as out_p:
        tf = embed_for_association(store, model, emb, mot_dir, quiet)
        if check is not None:
            check(tf)
        btf = embed_baseline(tf, baseline, emb, command, quiet)
        return step(AssociationRun(tf, btf, out_p, mot_dir, gt_dir, quiet, blur_faces))
