"""`pipeline evaluate`: CMC / mAP / mINP of a model on an imported benchmark store."""
from __future__ import annotations

import argparse
import json

from pipeline.flags import add_config_flags, overrides
from reid.models.embedding_config import BENCHMARK_EMBEDDING, MODEL_HELP, EmbedConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="CMC/mAP/mINP of a model on an imported benchmark store")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    p.add_argument("--data", required=True, help="store from `pipeline import`")
    p.add_argument("--split", help="PRID2011 / iLIDS-VID split: 0-9, or all (the protocol's mean over the 10 "
                   "splits, for a model that learned none of their identities)")
    add_config_flags(p, EmbedConfig, defaults=BENCHMARK_EMBEDDING)
    p.add_argument("--rerank", action="store_true", help="k-reciprocal re-ranking (Zhong et al. 2017; k1 20, "
                   "k2 6, lambda 0.3)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from pipeline.table import format_table
    from reid.eval.protocol import evaluate_all_splits, evaluate_benchmark
    from tracklet_reid.errors import InputError

    emb = dataclasses.replace(BENCHMARK_EMBEDDING, **overrides(args, EmbedConfig))
    headers = ["Rank-1", "Rank-5", "Rank-10", "Rank-20", "mAP", "mINP"]
    keys = ["rank1", "rank5", "rank10", "rank20", "mAP", "mINP"]
    if args.split == "all":
        mean, per, info = evaluate_all_splits(args.model, args.data, emb, progress=not args.json, rerank=args.rerank)
        if args.json:
            print(json.dumps({**info, **mean, "per_split": per}, indent=2, default=float))
            return 0
        print(f"{info['benchmark']}, {info['model']}: mean over {info['splits']} splits"
              + (", re-ranked" if args.rerank else ""))
        rows = [[p["split"], *[p[k] for k in keys]] for p in per]
        rows += [["mean", *[mean[k] for k in keys]], ["std", *[mean[k + "_std"] for k in keys]]]
        print(format_table(["split", *headers], rows))
        return 0
    try:
        split = None if args.split is None else int(args.split)
    except ValueError:
        raise InputError(f"--split {args.split!r}: a split number (0-9) or all") from None
    r, info = evaluate_benchmark(args.model, args.data, split, emb, progress=not args.json, rerank=args.rerank)
    d = {**info, **r.as_dict()}
    if args.json:
        print(json.dumps(d, indent=2, default=float))
    else:
        print(f"{info['benchmark']} ({info['queries']} queries, {info['gallery']} gallery), {info['model']}"
              + (f", split {split}" if split is not None else "") + (", re-ranked" if args.rerank else ""))
        print(format_table([*headers, "skipped queries"], [[*[d[k] for k in keys], d["num_skipped"]]]))
    return 0
