"""`pipeline demo`: generate a synthetic multi-camera world and run every built stage on it,
printing ground-truth metrics at each stage and writing an HTML page."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.demo_record import RESUME, REUSE, DemoRecord
from pipeline.flags import add_config_flags, overrides
from pipeline.table import format_table
from tracklet_reid.settings import setting
from tracklet_reid.synthetic.world import DIFFICULTIES, SIZES, VIEWS


@dataclass(frozen=True)
class DemoConfig:
    size: str = setting("demo", "world size", choices=tuple(SIZES))
    difficulty: str = setting("default", "how hard the world is to track and re-identify", choices=tuple(DIFFICULTIES))
    seed: int = setting(0, "world and training seed")
    views: str = setting("disjoint", "disjoint: every camera watches its own place; overlapping: cameras in "
                         "pairs watch one place (match then takes being seen at once as evidence); network: places "
                         "on a walking graph, each camera at its own frame rate and clock, the last two watching "
                         "one place (the topology stage is scored against the true network)", choices=VIEWS)
    # The generated det.txt (public-detection protocol) finds the drawn people best: recall 0.85
    # against motion 0.63 and the Darknet body model 0.47 on the default preset (closing note, issue 4).
    detector: str = setting("file", "file: the world's noisy det.txt (best recall); motion: background "
                            "subtraction", choices=("file", "motion"))
    workers: int = setting(2, "cameras extracted in parallel", cli=False)
    # With the default tracker's longer tracks (about one tracklet per person and camera), UTAL on
    # this world scored cross-camera R1/mAP 0.620/0.688, below the ImageNet features (0.685/0.729),
    # and the contrast learner 0.815/0.834 (docs/accuracy.md): the demo shows the contrast learner.
    learner: str = setting("contrast", "contrast (tracklet cluster contrast) or utal (the paper's)",
                           choices=("contrast", "utal"))
    # learning sized for a CPU: a small backbone and input
    backbone: str = setting("mobilenet_v2", "backbone", cli=False)
    epochs: int = setting(12, "learning epochs (a few minutes on a CPU)")
    batch_size: int = setting(64, "learning batch size", cli=False)
    input_size: tuple[int, int] = setting((128, 64), "network input height, width", cli=False)
    embed_dim: int = setting(512, "embedding size", cli=False)
    # soft-label neighbours: people here leave 1-3 fragments per camera, and K = 2 measured best on the
    # default world (K = 1: R1 0.820 / mAP 0.813; K = 2: 0.833 / 0.808; the paper's K = 4, tuned on
    # MARS with many tracklets per person: 0.721 / 0.725; docs/utal.md). Merge uses the same K.
    k: int = setting(2, "soft-label and merge neighbours K", cli=False)
    device: str | None = setting(None, "cpu, cuda (unset: automatic)")


# the project's shared data beside the checkout: ImageNet MobileNetV2 weights that need no download
LOCAL_WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "weights" / "mobilenetv2-imagenet"
# the settings each stage's output depends on, besides the stages before it (device and workers
# change how fast, not what)
STAGE_SETTINGS = {"world": ("size", "difficulty", "seed", "views"), "extract": ("detector",),
                  "learn": ("learner", "backbone", "epochs", "batch_size", "input_size", "embed_dim", "k", "seed")}


def _pretrained_weights(backbone: str) -> str:
    """Local ImageNet weights when the project's shared data is beside the checkout (offline),
    else torchvision's (downloaded when online); `learn` says so in one line if neither works."""
    from reid.models.backbones import build_backbone
    from tracklet_reid.errors import InputError

    if backbone == "mobilenet_v2" and LOCAL_WEIGHTS.is_dir():
        return str(LOCAL_WEIGHTS)
    try:
        build_backbone(backbone, "imagenet")  # downloads once when online, then cached
        return "imagenet"
    except InputError as exc:
        print(f"note: {exc}; the demo learns from randomly initialised weights instead", file=sys.stderr)
        return "none"


# the weights row of the table when they are not a local folder
WEIGHTS_NOTE = {"imagenet": "torchvision's download",
                "none": "NONE FOUND (no ../shared/data/weights, offline): random weights, numbers far below a real run"}


def _settings(cfg: DemoConfig, stage: str) -> dict:
    """The settings ``stage``'s output depends on (the stages before it decide the rest)."""
    return {k: getattr(cfg, k) for k in STAGE_SETTINGS[stage]}


def _seconds(t: float | None) -> float | str:
    """A table's seconds: since ``t``, or 'reused' for a stage an earlier run made."""
    return "reused" if t is None else round(time.perf_counter() - t, 1)


def _stage(name: str) -> float:
    print(f"== {name}", file=sys.stderr, flush=True)
    return time.perf_counter()


def run_demo(out: str | Path, cfg: DemoConfig = DemoConfig(), quiet: bool = False) -> dict:
    from tqdm import tqdm

    from detection.mot_text import read_mot
    from tracking.extract_config import ExtractConfig
    from tracking.mot_metrics import evaluate_mot
    from tracking.multi_camera import extract_cameras
    from tracklet_reid.errors import InputError
    from tracklet_reid.synthetic import generate_world, world_config

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        wcfg = world_config(cfg.size, cfg.difficulty, cfg.seed, views=cfg.views)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    world_dir = out / "world"
    marker = world_dir / "world.json"
    results: dict = {"config": asdict(cfg), "stages": []}
    rows: list[list] = []

    record = DemoRecord(out)
    t = _stage(f"1/7 generating the world ({wcfg.cameras} cameras, {wcfg.identities} identities)")
    if record.begin("world", _settings(cfg, "world")) != REUSE:
        with tqdm(total=wcfg.cameras * wcfg.frames, unit="frame", desc="render",
                  disable=True if quiet else None) as bar:
            generate_world(world_dir, wcfg, progress=bar.update)
        record.finish("world")
    else:
        t = None
    world = json.loads(marker.read_text())
    rows.append(["world", "cameras / identities / frames per camera",
                 f"{wcfg.cameras} / {wcfg.identities} / {wcfg.frames}", _seconds(t)])

    ecfg = ExtractConfig(workers=cfg.workers)
    t = _stage(f"2/7 extract: {cfg.detector} detector -> {ecfg.tracker.algorithm} tracker -> tracklets")
    from dataclasses import replace

    ecfg = replace(ecfg, detector=replace(ecfg.detector, backend=cfg.detector,
                                          detections=str(world_dir / "det") if cfg.detector == "file" else None))
    store = out / "tracklets.h5"
    mot_dir = out / "mot"
    if record.begin("extract", _settings(cfg, "extract")) != REUSE:
        extract_cameras(str(world_dir / "cams"), str(store), ecfg, mot_dir=str(mot_dir), quiet=True,
                        gt_dir=str(world_dir / "gt"))
        record.finish("extract")
    else:
        t = None
    dt = _seconds(t)
    per_cam = []
    for cam in world["cameras"]:
        name = cam["name"]
        gt = read_mot(world_dir / "gt" / f"{name}.txt")
        det = evaluate_mot(gt, read_mot(mot_dir / f"{name}.det.txt"))
        trk = evaluate_mot(gt, read_mot(mot_dir / f"{name}.txt"))
        per_cam.append({"camera": name, "det_recall": det.recall, "det_precision": det.precision,
                        "mota": trk.mota, "idf1": trk.idf1, "id_switches": trk.id_switches})
        rows.append([f"tracking {name}", "detection recall / MOTA / IDF1 / ID switches",
                     f"{det.recall:.3f} / {trk.mota:.3f} / {trk.idf1:.3f} / {trk.id_switches}", None])
    rows[-len(per_cam)][3] = dt
    results["stages"].append({"stage": "extract", "cameras": per_cam})

    rows += _learn_and_match(out, store, mot_dir, world_dir, cfg, results, quiet, record)

    t = _stage("7/7 report")
    results["table"] = rows
    page = _write_page(out, world_dir, store, rows, world)
    results["report"] = str(page)
    (out / "demo.json").write_text(json.dumps(results, indent=1, default=float))
    if not quiet:
        print(format_table(["stage", "metric", "value", "seconds"], rows))
        print(f"report: {page}")
    return results


# noqa reason: the demo's folders, its settings, its results so far and its record, all named
def _learn_and_match(out: Path, store: Path, mot_dir: Path, world_dir: Path, cfg: DemoConfig,  # noqa: PLR0913
                     results: dict, quiet: bool, record: DemoRecord) -> list[list]:
    from pipeline.match import run_match
    from pipeline.merge import run_merge
    from reid.association.config import MatchConfig, MergeConfig
    from reid.engine.trainer import Trainer
    from reid.eval.cross_camera import cross_camera_retrieval
    from reid.models.embedding import EmbedConfig, embed_store
    from reid.utal.config import LearnConfig
    from tracklet_reid.errors import InputError

    rows: list[list] = []
    t = _stage("3/7 re-id before learning: colour histograms and the ImageNet backbone")
    pretrained = _pretrained_weights(cfg.backbone)
    rows.append(["weights", f"ImageNet {cfg.backbone} for the baseline and learning's start",
                 WEIGHTS_NOTE.get(pretrained, pretrained), None])
    results["weights"] = pretrained
    base_spec = f"imagenet:{cfg.backbone}:{pretrained}"
    base_label = f"{'untrained' if pretrained == 'none' else 'ImageNet'} {cfg.backbone} (no training)"
    for spec, label in (("colour", "colour histogram"), (base_spec, base_label)):
        try:
            e = embed_store(str(store), spec, EmbedConfig(device=cfg.device), input_hw=cfg.input_size)
        except InputError as exc:
            rows.append([f"re-id: {label}", "skipped", str(exc)[:60], None])
            continue
        r = cross_camera_retrieval(e.across, e.index)
        if r is None:  # the world always has ground truth and several cameras
            raise InputError(f"{store}: no ground truth to score re-id with")
        rows.append([f"re-id: {label}", "cross-camera Rank-1 / mAP", f"{r.rank(1):.3f} / {r.mAP:.3f}",
                     round(time.perf_counter() - t, 1)])
        results["stages"].append({"stage": f"reid {label}", **r.as_dict()})
        t = time.perf_counter()

    learner = "UTAL" if cfg.learner == "utal" else "contrast learner"
    t = _stage(f"4/7 learn: {learner}, {cfg.backbone}, {cfg.epochs} epochs on the CPU-sized setting")
    model_dir = out / "model"
    lcfg = LearnConfig(backbone=cfg.backbone, pretrained=pretrained, embed_dim=cfg.embed_dim,
                       input_height=cfg.input_size[0], input_width=cfg.input_size[1], epochs=cfg.epochs,
                       batch_size=cfg.batch_size, k=cfg.k, eval_every=max(cfg.epochs // 4, 1), device=cfg.device,
                       learner=cfg.learner)
    how = record.begin("learn", {**_settings(cfg, "learn"), "weights": pretrained})
    if how != REUSE:
        resume = how == RESUME and (model_dir / "checkpoints" / "last.pt").exists()
        Trainer(store, model_dir, lcfg, resume=resume, progress=not quiet,
                log=lambda m: print(m, file=sys.stderr, flush=True)).fit()
        record.finish("learn")
    last = [json.loads(line) for line in (model_dir / "metrics.jsonl").read_text().splitlines() if line.strip()][-1]
    start = "" if pretrained != "none" else ", from random weights"
    rows.append([f"re-id: {learner} (learned, no labels{start})", "cross-camera Rank-1 / mAP",
                 f"{last['eval_rank1']:.3f} / {last['eval_mAP']:.3f}", _seconds(None if how == REUSE else t)])
    results["stages"].append({"stage": "learn", **last})

    embedding = EmbedConfig(device=cfg.device)
    rows += _topology(out, store, model_dir, embedding, world_dir, results)
    t = _stage("6/7 merge within cameras and match across them (learned vs ImageNet features)")
    merge_cfg = MergeConfig(affinity_k=cfg.k)
    merged = run_merge(str(store), str(model_dir), str(out / "merged"), merge_cfg, embedding, mot_dir=str(mot_dir),
                       gt_dir=str(world_dir / "gt"), baseline=base_spec, quiet=True)
    n_trk = sum(c["tracklets"] for c in merged["cameras"])
    n_merge = sum(c["mergeable"] for c in merged["cameras"])
    n_long = sum(c["long_trajectories"] for c in merged["cameras"])

    def mean_of(cams, stage, key):
        vals = [c[stage][key] for c in cams if stage in c]
        return float(np.mean(vals)) if vals else None

    rows.append(["merge: learned", "tracklets -> mergeable -> long trajectories; NMI",
                 f"{n_trk} -> {n_merge} -> {n_long}; {_num(merged.get('nmi'))}",
                 round(time.perf_counter() - t, 1)])
    rows.append(["merge: learned", "mean IDF1 / ID switches before -> after",
                 f"{_num(mean_of(merged['cameras'], 'before', 'idf1'))} -> "
                 f"{_num(mean_of(merged['cameras'], 'after', 'idf1'))}"
                 f" / {_num(mean_of(merged['cameras'], 'before', 'id_switches'), 0)} -> "
                 f"{_num(mean_of(merged['cameras'], 'after', 'id_switches'), 0)}", None])
    if "baseline" in merged:
        b = merged["baseline"]
        rows.append([f"merge: {b['model']} baseline", "NMI; mean IDF1 after",
                     f"{_num(b.get('nmi'))}; {_num(mean_of(b['cameras'], 'after', 'idf1'))}", None])
    t = time.perf_counter()
    # the views are found from the data (`--views auto`), never told: the world's truth only scores it
    matched = run_match(str(store), str(model_dir), str(out / "matched"), MatchConfig(views="auto", merge=merge_cfg),
                        embedding,
                        mot_dir=str(mot_dir), baseline=base_spec, quiet=True, gt_dir=str(world_dir / "gt"))
    found = sorted(":".join(v["cameras"]) for v in matched.get("views", []) if v["overlapping"])
    truth = {"overlapping": "pairs watch one place", "network": "the last two cameras watch one place"}.get(
        cfg.views, "every camera its own place")
    rows.append(["views found by match", f"camera pairs taken as watching one place (the world: {truth})",
                 ", ".join(found) or "none", None])
    mc = matched["tracks"]["multi_camera"]
    rows.append(["tracks before match", "multi-camera IDF1 / HOTA", f"{mc['idf1']:.3f} / {mc['hota']:.3f}", None])
    for name, m in (("learned", matched), ("baseline", matched.get("baseline"))):
        if m:
            rows.append([f"match: {name}", "global ids; cross-camera pair precision / recall; multi-camera IDF1 / HOTA",
                         f"{m['global_identities']}; {_num(m.get('cross_camera_precision'))} / "
                         f"{_num(m.get('cross_camera_recall'))}; {m['multi_camera']['idf1']:.3f} / "
                         f"{m['multi_camera']['hota']:.3f}",
                         round(time.perf_counter() - t, 1) if name == "learned" else None])
    results["stages"] += [{"stage": "merge", **{k: v for k, v in merged.items() if k != "cameras"}},
                          {"stage": "match", **matched}]
    return rows


def _num(v: float | None, digits: int = 3) -> str:
    """A score for the table: '-' where there is none (never "nan" or "None" in front of a user)."""
    import math

    return "-" if v is None or not math.isfinite(float(v)) else f"{float(v):.{digits}f}"


def _topology(out: Path, store: Path, model_dir: Path, embedding, world_dir: Path, results: dict) -> list[list]:
    """The camera network learnt from the tracklets (never from the world's truth, which only sits
    beside it in the table): `pipeline topology`'s files in DIR/topology/."""
    from pipeline.topology import run_topology
    from tracklet_reid.errors import InputError

    t = _stage("5/7 topology: the camera network learnt from the tracklets' times and places")
    try:
        topo = run_topology(str(store), str(model_dir), str(out / "topology"), embedding, quiet=True)
    except InputError as exc:  # a world too small to say anything is a result, not a failure
        return [["topology", "camera network", f"not learnt: {exc}", round(time.perf_counter() - t, 1)]]
    results["stages"].append({"stage": "topology", **topo})
    walk = "every pair of places is walkable (routes are random)"
    truth_file = world_dir / "topology_truth.json"
    if truth_file.is_file():  # the network preset: scored against the true links (never read by the learner)
        truth = json.loads(truth_file.read_text())
        true_links = {tuple(sorted(link["cameras"])) for link in truth["links"]}
        found = {tuple(sorted(link)) for link in topo["links"]}
        walk = f"{len(true_links)} links, {len(found & true_links)} of them found"
    return [["topology", f"walking links / cameras watching one place / matches explained by time (the world: {walk})",
             f"{len(topo['links'])} / {len(topo['overlapping'])} / {topo['explained_by_time']:.0%} of "
             f"{topo['matches']}", round(time.perf_counter() - t, 1)]]


def _write_page(out: Path, world_dir: Path, store_path: Path, rows, world) -> Path:
    import cv2

    from pipeline.report import HtmlReport, img_tag
    from tracking.store import TrackletStore

    rep = HtmlReport("tracklet-reid demo")
    rep.heading("Ground-truth metrics at every stage")
    rep.table(["stage", "metric", "value", "seconds"], rows)
    rep.heading("Frames from each camera (ground-truth boxes)")
    tags = []
    for cam in world["cameras"]:
        cap = cv2.VideoCapture(str(world_dir / "cams" / f"{cam['name']}.avi"))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.set(cv2.CAP_PROP_POS_FRAMES, n // 2)
        ok, frame = cap.read()
        cap.release()
        if not ok:
            continue
        gt = np.loadtxt(world_dir / "gt" / f"{cam['name']}.txt", delimiter=",", ndmin=2)
        for r in gt[gt[:, 0] == n // 2 + 1]:
            cv2.rectangle(frame, (int(r[2]), int(r[3])), (int(r[2] + r[4]), int(r[3] + r[5])), (0, 255, 0), 1)
            cv2.putText(frame, str(int(r[1])), (int(r[2]), int(r[3]) - 2), 0, 0.4, (255, 255, 255), 1)
        tags.append(img_tag(frame[:, :, ::-1], height=220, title=cam["name"]))
    rep.images(tags)
    for title, png in (("Training diagnostics", out / "model" / "diagnostics.png"),
                       ("Merged trajectories (green: same person)", out / "merged" / "contact_sheet.png")):
        if png.exists():
            rep.heading(title)
            img = cv2.imread(str(png))
            rep.images([img_tag(img[:, :, ::-1])])
    rep.text("Full merge and match reports: merged/report.html, matched/report.html; the camera network learnt "
             "from the tracklets: topology/topology.html")
    topo_json = out / "topology" / "topology.json"
    if topo_json.is_file():
        import json

        from pipeline.topology_page import camera_graph_svg
        from reid.spacetime.topology_file import read_topology

        doc = json.loads(topo_json.read_text())
        rep.heading("Camera network learnt from the tracklets (blue: walking links; green dashed: shared views)")
        rep.raw(camera_graph_svg(read_topology(topo_json, [c["name"] for c in doc["cameras"]])))
    from pipeline.outputs import THUMB_HEIGHT, captioned
    from pipeline.report import to_height

    rep.heading("Tracklets (first crop of each, captioned camera:tracklet and, below, the world's true identity)")
    with TrackletStore(store_path) as s:
        for name in s.cameras:
            c = s.camera(name)
            tags = []
            for j in range(min(c.num_tracklets, 40)):
                gid = int(c.gt_identity[j]) if c.gt_identity is not None else -1
                crop = to_height(s.crop(name, int(c.tracklets["start"][j])), THUMB_HEIGHT)
                tags.append(img_tag(captioned(crop, f"{name[:12]}:{j}", f"true id {gid}" if gid >= 0 else ""),
                                    title=f"{name} tracklet {j}"))
            shown = "" if c.num_tracklets <= 40 else " (the first 40 stored)"
            rep.images(tags, f"{name}: {c.num_tracklets} tracklets{shown}")
    return rep.write(out / "demo.html")


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on a generated multi-camera world",
                       description="Generate a synthetic camera network with ground truth, run every stage "
                       "on it and print ground-truth metrics per stage; writes DIR/demo.html.")
    p.add_argument("-o", "--out", default="demo-out", help="output folder (default demo-out)")
    add_config_flags(p, DemoConfig)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from tracklet_reid.config_io import load_config

    run_demo(args.out, load_config(DemoConfig, None, overrides(args, DemoConfig)), quiet=args.quiet)
    return 0
