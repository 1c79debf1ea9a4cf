"""Per-epoch training diagnostics as a picture: losses, the paper's Fig. 4 label similarity and
Fig. 6 pair precision, and cross-camera retrieval."""
from __future__ import annotations

import json
from pathlib import Path


def plot_metrics(metrics: Path, png: Path) -> Path | None:
    """Per-epoch losses and the paper's diagnostics (Fig. 4 label similarity, Fig. 6 pairs)."""
    rows = [json.loads(l) for l in metrics.read_text().splitlines() if l.strip()]
    rows = [r for r in rows if "loss" in r]
    if not rows:
        return None
    # a Figure with its own Agg canvas: pyplot (and so the caller's backend) is never touched
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ep = [r["epoch"] for r in rows]
    panels = [("loss", [("pctd", "PCTD"), ("ccta", "CCTA"), ("intra", "intra-camera"),
                        ("inter", "inter-camera")]),
              ("soft labels (Fig. 4)", [("label_similarity", "same-identity label similarity")]),
              ("cross-camera pairs (Fig. 6)", [("pair_precision", "precision")]),
              ("cross-camera retrieval", [("eval_rank1", "Rank-1"), ("eval_mAP", "mAP")])]
    # a panel with nothing to show is left out rather than drawn as empty axes (the contrast
    # learner has no soft labels; a store without ground truth has no precision or retrieval)
    panels = [p for p in panels if any(r.get(k) is not None for r in rows for k, _ in p[1])]
    fig = Figure(figsize=(4 * len(panels), 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, keys) in zip(axes, panels):
        for key, label in keys:
            pts = [(e, r[key]) for e, r in zip(ep, rows) if r.get(key) is not None]
            if pts:
                ax.plot(*zip(*pts), marker=".", label=label)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    return png
