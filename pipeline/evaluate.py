"""`pipeline evaluate`: CMC / mAP / mINP of a model on an imported benchmark store."""
from __future__ import annotations

import argparse
import json

from pipeline.flags import add_config_flags, overrides
from reid.embedding_config import BENCHMARK_EMBEDDING, EmbedConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="CMC/mAP/mINP of a model on an imported benchmark store")
    p.add_argument("--model", required=True, help="a `pipeline learn` folder, or imagenet:BACKBONE[:WEIGHTS], colour")
    p.add_argument("--data", required=True, help="store from `pipeline import`")
    p.add_argument("--split", type=int, help="PRID2011 / iLIDS-VID split (0-9)")
    add_config_flags(p, EmbedConfig, defaults=BENCHMARK_EMBEDDING)
    p.add_argument("--rerank", action="store_true", help="k-reciprocal re-ranking (Zhong et al. 2017; k1 20, "
                   "k2 6, lambda 0.3)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from pipeline.table import format_table
    from reid.eval.protocol import evaluate_benchmark

    emb = dataclasses.replace(BENCHMARK_EMBEDDING, **overrides(args, EmbedConfig))
    r, info = evaluate_benchmark(args.model, args.data, args.split, emb, progress=not args.json, rerank=args.rerank)
    d = {**info, **r.as_dict()}
    if args.json:
        print(json.dumps(d, indent=2, default=float))
    else:
        print(f"{info['benchmark']} ({info['queries']} queries, {info['gallery']} gallery), {info['model']}"
              + (f", split {args.split}" if args.split is not None else "") + (", re-ranked" if args.rerank else ""))
        print(format_table(["Rank-1", "Rank-5", "Rank-10", "Rank-20", "mAP", "mINP", "skipped queries"],
                           [[d["rank1"], d["rank5"], d["rank10"], d["rank20"], d["mAP"], d["mINP"],
                             d["num_skipped"]]]))
    return 0
