"""`pipeline learn`: UTAL (or the contrast learner) on a tracklet store, without labels."""
from __future__ import annotations

import argparse

from pipeline.flags import add_config_flags, overrides
from reid.utal.config import PRESETS, LearnConfig, preset_notes, preset_settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("learn", help="UTAL: learn a re-id model from a tracklet store, without labels",
                       description="Unsupervised Tracklet Association Learning (Li, Zhu, Gong, TPAMI 2019). "
                       "Defaults are the paper's; every setting can come from --config YAML or a flag.")
    p.add_argument("store", help="tracklet store (.h5) from extract or import")
    p.add_argument("-o", "--out", required=True, help="output folder (model, checkpoints, metrics)")
    p.add_argument("--config", help="YAML file of LearnConfig settings (flags override it)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--preset", choices=tuple(PRESETS), help="a named set of settings that --config and flags "
                   "override: paper (the defaults, for GPUs) or cpu (mobilenet_v2, 128x64, 512-D, batch 64, 20 "
                   "epochs, 40 with --learner contrast: a CUHK03-sized store in under 30 minutes on 2 cores). "
                   "Starting from a downloaded model (--pretrained X.onnx) fine-tunes it whatever the preset: "
                   "lr 3.5e-5, 10 epochs, its own input size; from an OpenVINO model (--pretrained X.xml), which "
                   "cannot be fine-tuned, a site adapter is learnt on its frozen features (seconds). The log says "
                   "what was chosen and why")
    add_config_flags(p.add_argument_group("UTAL settings"), LearnConfig)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reid.engine.trainer import Trainer
    from tracklet_reid.config_io import load_config, save_config
    from tracklet_reid.output_paths import refuse_overwriting_inputs

    given = overrides(args, LearnConfig)
    # the learner and starting weights (from flags or --config) decide parts of a preset
    probe = load_config(LearnConfig, args.config, given)
    base = preset_settings(args.preset, probe.pretrained, probe.learner)
    cfg = load_config(LearnConfig, args.config, given, base=base).validate()
    adapter = str(cfg.pretrained or "").lower().endswith(".xml")  # a frozen download: a site adapter
    if not args.quiet and not adapter:  # what the preset and the starting weights chose, and why
        own = {k for k, v in given.items() if v is not None}
        if args.config:  # read already by load_config: valid
            import yaml

            own |= set(yaml.safe_load(Path(args.config).read_text()) or {})
        for note in preset_notes(args.preset, cfg.pretrained, cfg.learner, own):
            print(f"learn: {note}", flush=True)
    refuse_overwriting_inputs([Path(args.out) / "learn.yaml"], {"--config": args.config})
    if adapter:  # reid/adapter: the preset's training settings do not apply
        from reid.adapter.learn import learn_site_adapter

        learn_site_adapter(args.store, args.out, cfg, progress=not args.quiet,
                           log=(lambda m: None) if args.quiet else (lambda m: print(m, flush=True)))
        return 0
    Trainer(args.store, args.out, cfg, resume=args.resume, progress=not args.quiet,
                log=lambda m: print(m, flush=True)).fit()
    save_config(cfg, Path(args.out) / "learn.yaml")
    return 0
