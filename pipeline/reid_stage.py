"""`pipeline merge` and `pipeline match`: orchestration, outputs and reports around reid.merge
and reid.match."""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from detection.errors import InputError
from pipeline.table import format_table


@dataclass
class Embedded:
    store: object
    index: object
    features: torch.Tensor
    name: str
    input_hw: tuple[int, int]


def embed_store(store_path: str, model_spec: str, device: str | None, frames: int, quiet: bool,
                input_hw: tuple[int, int] = (256, 128)) -> Embedded:
    from reid.data import TrackletIndex
    from reid.embed import load_model
    from tracking.store import TrackletStore

    store = TrackletStore(store_path)
    index = TrackletIndex.from_store(store)
    model = load_model(model_spec, device, input_hw)
    feats = model.embed_store(store, index, max_frames=frames, progress=not quiet)
    return Embedded(store, index, feats, model.name, model.input_hw)


def default_baseline(model_spec: str) -> str | None:
    """ImageNet features of the model's own backbone (the untrained starting point)."""
    p = Path(model_spec)
    p = p / "model.pt" if p.is_dir() else p
    if not p.is_file():
        return None
    ckpt = torch.load(p, map_location="cpu", weights_only=False)
    lc = ckpt.get("learn_config", {})
    pre = lc.get("pretrained") or "none"
    return f"imagenet:{lc.get('backbone', 'resnet50')}:{pre}"


def _read_gt(gt_dir: str | None, camera: str):
    if not gt_dir:
        return None
    from detection.file_detector import find_det_file
    from detection.mot_text import read_mot

    return read_mot(find_det_file(Path(gt_dir), camera, "gt"))


def _relabelled_tracks(mot_dir: str, camera: str, track_ids: np.ndarray, new_ids: np.ndarray):
    """The camera's tracker output with every tracklet's track id replaced by ``new_ids``; tracks
    that did not become tracklets keep ids of their own (shifted past the new ones)."""
    from detection.mot_text import read_mot

    rows = read_mot(Path(mot_dir) / f"{camera}.txt")
    lut = dict(zip(track_ids.tolist(), new_ids.tolist()))
    offset = int(new_ids.max(initial=0)) + 1
    ids = np.array([lut.get(int(t), offset + int(t)) for t in rows.ids], dtype=np.int64)
    rows.ids = ids
    return rows


def _write_tracklet_table(path: Path, emb: Embedded, column: str, labels: np.ndarray) -> None:
    """One row per input tracklet (none lost, none repeated) with its new label."""
    idx = emb.index
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["camera", "tracklet", "track_id", column, "first_frame", "last_frame", "gt_identity"])
        for g in range(idx.num_tracklets):
            cam = idx.cameras[idx.camera_of[g]]
            w.writerow([cam, int(idx.local_of[g]), int(emb.store.camera(cam).tracklets["track_id"][idx.local_of[g]]),
                        int(labels[g]), int(idx.first_frame[g]), int(idx.last_frame[g]), int(idx.gt[g])])


def _mot_scores(gt, rows) -> dict:
    from tracking.mot_metrics import evaluate_mot

    s = evaluate_mot(gt, rows)
    return {"mota": s.mota, "idf1": s.idf1, "id_switches": s.id_switches}


# ------------------------------------------------------------------------------------------ merge
def merge_labels(emb: Embedded, k: int, threshold: float) -> tuple[np.ndarray, list[dict]]:
    """Per-camera trajectory labels made unique across cameras, and per-camera summaries."""
    from reid.merge import merge_tracklets

    idx = emb.index
    labels = np.zeros(idx.num_tracklets, np.int64)
    base = 0
    per_cam = []
    for c, sl in enumerate(idx.camera_slices):
        r = merge_tracklets(emb.features[sl], idx.first_frame[sl], idx.last_frame[sl], k, threshold)
        labels[sl] = r.labels + base
        base += int(r.labels.max(initial=-1)) + 1
        per_cam.append({"camera": idx.cameras[c], **r.summary()})
    return labels, per_cam


def _nmi_of(idx, labels, sl=slice(None)) -> float | None:
    from reid.cluster_metrics import nmi

    gt = idx.gt[sl]
    known = gt >= 0
    return nmi(gt[known], labels[sl][known]) if known.sum() >= 2 else None


def run_merge(store_path: str, model_spec: str, out: str, k: int = 4, threshold: float = 0.5,
              mot_dir: str | None = None, gt_dir: str | None = None, baseline: str | None = "auto",
              device: str | None = None, frames: int = 16, quiet: bool = False) -> dict:
    out_p = Path(out)
    out_p.mkdir(parents=True, exist_ok=True)
    if not 0 < threshold < 1 or k < 1:
        raise InputError(f"merge settings out of range: threshold {threshold} (0..1), k {k} (>= 1)")
    emb = embed_store(store_path, model_spec, device, frames, quiet)
    idx = emb.index
    labels, per_cam = merge_labels(emb, k, threshold)
    result = {"model": emb.name, "k": k, "threshold": threshold, "cameras": per_cam}
    if (idx.gt >= 0).any():
        for c, sl in enumerate(idx.camera_slices):
            per_cam[c]["nmi"] = _nmi_of(idx, labels, sl)
            per_cam[c]["nmi_before"] = _nmi_of(idx, np.arange(idx.num_tracklets), sl)
        result["nmi"] = _nmi_of(idx, labels)
    _write_tracks_mot(emb, labels, mot_dir, out_p / "mot")
    if mot_dir and gt_dir:
        from detection.mot_text import read_mot

        for c, sl in enumerate(idx.camera_slices):
            cam = idx.cameras[c]
            gt = _read_gt(gt_dir, cam)
            per_cam[c]["before"] = _mot_scores(gt, read_mot(Path(mot_dir) / f"{cam}.txt"))
            per_cam[c]["after"] = _mot_scores(gt, read_mot(out_p / "mot" / f"{cam}.txt"))
    base_spec = default_baseline(model_spec) if baseline == "auto" else baseline
    if base_spec:
        try:
            bemb = embed_store(store_path, base_spec, device, frames, quiet, emb.input_hw)
        except InputError as exc:
            print(f"pipeline merge: baseline skipped: {exc}", file=sys.stderr)
        else:
            blabels, bper = merge_labels(bemb, k, threshold)
            result["baseline"] = {"model": bemb.name, "cameras": bper, "nmi": _nmi_of(idx, blabels)}
            if mot_dir and gt_dir:
                for c, sl in enumerate(idx.camera_slices):
                    cam = idx.cameras[c]
                    gt = _read_gt(gt_dir, cam)
                    rows = _relabelled_tracks(mot_dir, cam, emb.store.camera(cam).tracklets["track_id"],
                                              blabels[sl] - blabels[sl].min(initial=0) + 1)
                    bper[c]["after"] = _mot_scores(gt, rows)
    _write_tracklet_table(out_p / "trajectories.csv", emb, "trajectory", labels)
    (out_p / "merge.json").write_text(json.dumps(result, indent=1, default=float))
    page = _merge_page(emb, labels, result, out_p)
    result["report"] = str(page)
    if not quiet:
        print_merge(result)
    return result


def print_merge(result: dict) -> None:
    headers = ["camera", "tracklets", "mergeable", "long traj.", "NMI", "MOTA before", "MOTA after",
               "IDF1 before", "IDF1 after", "IDsw before", "IDsw after"]
    rows = []
    for c in result["cameras"]:
        b, a = c.get("before", {}), c.get("after", {})
        rows.append([c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"], c.get("nmi"),
                     b.get("mota"), a.get("mota"), b.get("idf1"), a.get("idf1"), b.get("id_switches"),
                     a.get("id_switches")])
    print(f"merge with {result['model']} (K {result['k']}, affinity > {result['threshold']}); "
          f"overall NMI {result.get('nmi')}")
    print(format_table(headers, rows))
    if "baseline" in result:
        bl = result["baseline"]
        brows = [[c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"], None, None,
                  c.get("after", {}).get("mota"), None, c.get("after", {}).get("idf1"), None,
                  c.get("after", {}).get("id_switches")] for c in bl["cameras"]]
        print(f"baseline: {bl['model']}; overall NMI {bl.get('nmi')}")
        print(format_table(headers, brows))


def _thumb(store, idx, g: int, height: int = 80) -> np.ndarray:
    cam = idx.cameras[idx.camera_of[g]]
    crop = store.crop(cam, int(idx.crop_start[g] + idx.crop_count[g] // 2), store.reduction_for((height, 1)))
    import cv2

    w = max(int(round(crop.shape[1] * height / crop.shape[0])), 1)
    return cv2.resize(crop, (w, height), interpolation=cv2.INTER_AREA)


def _mark(img: np.ndarray, colour: tuple[int, int, int] | None) -> np.ndarray:
    import cv2

    if colour is None:
        colour = (160, 160, 160)
    return cv2.copyMakeBorder(img, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=colour)


GREEN, RED = (30, 180, 30), (220, 30, 30)


def _merge_page(emb: Embedded, labels: np.ndarray, result: dict, out: Path) -> Path:
    import cv2

    from pipeline.report import HtmlReport, img_tag

    idx, store = emb.index, emb.store
    rep = HtmlReport("pipeline merge")
    rep.text(f"model: {result['model']}; K {result['k']}, affinity > {result['threshold']}; overall NMI "
             f"{result.get('nmi')}")
    rep.table(["camera", "tracklets", "mergeable", "long trajectories", "NMI", "baseline NMI"],
              [[c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"], c.get("nmi"),
                None] for c in result["cameras"]])
    rep.heading("Merged trajectories (border: green = same identity as the trajectory's majority, red = not, "
                "grey = unknown)")
    sheet_rows = []
    sizes = np.bincount(labels)
    for lab in np.flatnonzero(sizes >= 2)[:40]:
        members = np.flatnonzero(labels == lab)
        members = members[np.argsort(idx.first_frame[members])]
        gts = idx.gt[members]
        known = gts[gts >= 0]
        major = np.bincount(known).argmax() if len(known) else -1
        imgs = []
        for g in members[:16]:
            col = None if idx.gt[g] < 0 or major < 0 else (GREEN if idx.gt[g] == major else RED)
            imgs.append(_mark(_thumb(store, idx, int(g)), col))
        cam = idx.cameras[idx.camera_of[members[0]]]
        rep.images([img_tag(i) for i in imgs], f"{cam} trajectory {lab}: {len(members)} tracklets")
        sheet_rows.append(np.hstack(imgs))
    if sheet_rows:
        width = max(r.shape[1] for r in sheet_rows)
        sheet = np.vstack([np.pad(r, ((2, 2), (0, width - r.shape[1]), (0, 0)), constant_values=255)
                           for r in sheet_rows])
        cv2.imwrite(str(out / "contact_sheet.png"), sheet[:, :, ::-1])
    return rep.write(out / "report.html")


# ------------------------------------------------------------------------------------------ match
def run_match(store_path: str, model_spec: str, out: str, topk: int = 10, max_distance: float | None = None,
              merge_first: bool = True, k: int = 4, threshold: float = 0.5, mot_dir: str | None = None,
              time_constraint: bool = True, device: str | None = None, frames: int = 16,
              quiet: bool = False, baseline: str | None = "auto") -> dict:
    from reid.cluster_metrics import pairwise_precision_recall
    from reid.match import global_identities, ranked_matches
    from reid.store_eval import cross_camera_retrieval

    out_p = Path(out)
    out_p.mkdir(parents=True, exist_ok=True)
    if topk < 1:
        raise InputError(f"--topk {topk}: must be at least 1")
    emb = embed_store(store_path, model_spec, device, frames, quiet)
    idx = emb.index
    if len(idx.cameras) < 2:
        raise InputError(f"{store_path}: matching across cameras needs at least two cameras with tracklets "
                         f"(has {', '.join(idx.cameras)})")

    def identities(e: Embedded):
        seed = merge_labels(e, k, threshold)[0] if merge_first else None
        return global_identities(e.features, idx.camera_of, idx.first_frame, idx.last_frame, seed, max_distance,
                                 time_constraint)

    def score(labels: np.ndarray, feats: torch.Tensor) -> dict:
        res: dict = {"global_identities": int(labels.max(initial=-1)) + 1}
        known = np.flatnonzero(idx.gt >= 0)
        if len(known) >= 2:
            cams = idx.camera_of[known]
            pr = pairwise_precision_recall(idx.gt[known], labels[known], lambda i, j: cams[i] != cams[j])
            res.update({"cross_camera_precision": pr["precision"], "cross_camera_recall": pr["recall"]})
            r = cross_camera_retrieval(feats, idx)
            if r is not None:
                res.update({"rank1": r.rank(1), "rank5": r.rank(5), "mAP": r.mAP})
        return res

    ranked = ranked_matches(emb.features, idx.camera_of, topk)
    labels, stats = identities(emb)
    result = {"model": emb.name, **stats, **score(labels, emb.features)}
    base_spec = default_baseline(model_spec) if baseline == "auto" else baseline
    if base_spec:
        try:
            bemb = embed_store(store_path, base_spec, device, frames, quiet, emb.input_hw)
            blabels, bstats = identities(bemb)
            result["baseline"] = {"model": bemb.name, **bstats, **score(blabels, bemb.features)}
        except InputError as exc:
            print(f"pipeline match: baseline skipped: {exc}", file=sys.stderr)
    with open(out_p / "ranked.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["camera", "tracklet", "rank", "match_camera", "match_tracklet", "distance"])
        for g in range(idx.num_tracklets):
            for r, (j, d) in enumerate(zip(ranked.index[g], ranked.distance[g])):
                if j >= 0:
                    w.writerow([idx.cameras[idx.camera_of[g]], int(idx.local_of[g]), r + 1,
                                idx.cameras[idx.camera_of[j]], int(idx.local_of[j]), f"{d:.4f}"])
    _write_tracklet_table(out_p / "global_ids.csv", emb, "global_id", labels + 1)
    _write_tracks_mot(emb, labels, mot_dir, out_p / "mot")
    (out_p / "match.json").write_text(json.dumps(result, indent=1, default=float))
    result["report"] = str(_match_page(emb, ranked, labels, result, out_p))
    if not quiet:
        print_match(result)
    return result


def _write_tracks_mot(emb: Embedded, labels: np.ndarray, mot_dir: str | None, folder: Path) -> None:
    """Per-camera MOT text with ids ``labels + 1`` (trajectories or global identities): the tracker
    output relabelled when --mot is given, else the boxes of the stored crops."""
    from detection.mot_text import write_mot

    idx = emb.index
    folder.mkdir(parents=True, exist_ok=True)
    for c, sl in enumerate(idx.camera_slices):
        cam = idx.cameras[c]
        cd = emb.store.camera(cam)
        if mot_dir:
            rows = _relabelled_tracks(mot_dir, cam, cd.tracklets["track_id"], labels[sl] + 1)
            write_mot(folder / f"{cam}.txt", rows.frame, rows.ids, rows.boxes, rows.score)
            continue
        frames, ids, boxes, scores = [], [], [], []
        for j, g in enumerate(range(sl.start, sl.stop)):
            ci = cd.crop_indices(j)
            frames.append(cd.crop_frame[ci])
            ids.append(np.full(len(ci), labels[g] + 1))
            boxes.append(cd.crop_box[ci])
            scores.append(cd.crop_score[ci])
        if frames:
            write_mot(folder / f"{cam}.txt", np.concatenate(frames), np.concatenate(ids), np.concatenate(boxes),
                      np.concatenate(scores))


def print_match(result: dict) -> None:
    keys = ["global_identities", "mutual_links", "links_made", "links_refused_time_overlap", "rank1", "mAP",
            "cross_camera_precision", "cross_camera_recall"]
    rows = [[result["model"], *[result.get(k) for k in keys]]]
    if "baseline" in result:
        rows.append([result["baseline"]["model"], *[result["baseline"].get(k) for k in keys]])
    print(format_table(["features", "global ids", "mutual links", "made", "refused (time)", "Rank-1", "mAP",
                        "precision", "recall"], rows))


def _match_page(emb: Embedded, ranked, labels: np.ndarray, result: dict, out: Path) -> Path:
    from pipeline.report import HtmlReport, img_tag

    idx, store = emb.index, emb.store
    rep = HtmlReport("pipeline match")
    rows = [[result["model"], result.get("global_identities"), result.get("rank1"), result.get("mAP"),
             result.get("cross_camera_precision"), result.get("cross_camera_recall")]]
    if "baseline" in result:
        b = result["baseline"]
        rows.append([b["model"], b.get("global_identities"), b.get("rank1"), b.get("mAP"),
                     b.get("cross_camera_precision"), b.get("cross_camera_recall")])
    rep.table(["features", "global identities", "Rank-1", "mAP", "pair precision", "pair recall"], rows)
    rep.heading("Queries and their top matches in other cameras (green = same person, red = not)")
    rng = np.random.default_rng(0)
    labelled = np.flatnonzero(idx.gt >= 0)
    pool = labelled if len(labelled) else np.arange(idx.num_tracklets)
    for g in np.sort(rng.choice(pool, min(12, len(pool)), replace=False)):
        tags = [img_tag(_mark(_thumb(store, idx, int(g)), (40, 40, 200)), title="query")]
        for j, d in zip(ranked.index[g][:6], ranked.distance[g][:6]):
            if j < 0:
                continue
            col = None if idx.gt[g] < 0 or idx.gt[j] < 0 else (GREEN if idx.gt[g] == idx.gt[j] else RED)
            tags.append(img_tag(_mark(_thumb(store, idx, int(j)), col),
                                title=f"{idx.cameras[idx.camera_of[j]]} tracklet {idx.local_of[j]} d={d:.3f}"))
        rep.images(tags, f"{idx.cameras[idx.camera_of[g]]} tracklet {idx.local_of[g]} (global id {labels[g] + 1})")
    return rep.write(out / "report.html")
