"""What happens around the training loop, as hooks (fast-reid's `engine/hooks.py` pattern): the
loop in trainer.py (shared by every learner) only updates labels and trains; evaluation,
checkpoints, the metrics log and the final model are hooks, run in the order given. A caller may pass its own list."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reid.engine.trainer import Trainer

METRICS = "metrics.jsonl"  # one JSON line per epoch, in the output folder


class Hook:
    def after_epoch(self, trainer: Trainer, epoch: int, record: dict) -> None:
        """``record`` is the epoch's metrics; a hook may add to it (later hooks see the additions)."""

    def after_train(self, trainer: Trainer) -> None:
        """Runs once, on the main process of a DDP job."""


class EvaluateHook(Hook):
    """Cross-camera retrieval on stores with ground truth: every ``eval_every`` epochs and after the last."""

    def after_epoch(self, trainer: Trainer, epoch: int, record: dict) -> None:
        cfg = trainer.cfg
        due = (cfg.eval_every and (epoch + 1) % cfg.eval_every == 0) or epoch + 1 == cfg.epochs
        if trainer.has_gt and trainer.dist.main and due:
            record.update(trainer.evaluate())


class CheckpointHook(Hook):
    """The whole training state after every epoch, written atomically: a killed run resumes exactly."""

    def after_epoch(self, trainer: Trainer, epoch: int, record: dict) -> None:
        trainer.save_checkpoint(epoch)


class MetricsLogHook(Hook):
    """One JSON line per epoch in metrics.jsonl and one line on the log."""

    def after_epoch(self, trainer: Trainer, epoch: int, record: dict) -> None:
        if trainer.dist.main:
            trainer.write_metrics(record)
            trainer.log(epoch_line(record))


class FinalModelHook(Hook):
    """model.pt, the embedder as ONNX (dynamic batch) and TorchScript, and the diagnostics picture.
    A deployment format that fails to export is skipped with a line: model.pt is the result."""

    def after_train(self, trainer: Trainer) -> None:
        from reid.models.onnx_model import export_onnx
        from reid.utal.diagnostics import plot_metrics
        from reid.utal.export import check_export, export_torchscript
        from tracklet_reid.errors import first_line

        path = trainer.save_final_model()
        for name, export in (("embedder.onnx", export_onnx), ("embedder.torchscript.pt", export_torchscript)):
            target = trainer.out / name
            try:
                export(trainer.net.embedder, trainer.cfg.input_hw, target)
                check_export(trainer.net.embedder, trainer.cfg.input_hw, target)
            except Exception as exc:  # an exporter's limits must not cost the trained model
                target.unlink(missing_ok=True)
                first = first_line(exc, 120)
                trainer.log(f"note: {name} not written ({type(exc).__name__}: {first})")
        plot_metrics(trainer.out / METRICS, trainer.out / "diagnostics.png")
        trainer.log(f"model: {path}")


def default_hooks() -> list[Hook]:
    return [EvaluateHook(), CheckpointHook(), MetricsLogHook(), FinalModelHook()]


def epoch_line(r: dict) -> str:
    parts = [f"epoch {r['epoch']}"]
    for within, across in (("pctd", "ccta"), ("intra", "inter")):
        if within in r:
            parts.append(f"{within} {r[within]:.3f}")
            if r.get("ccta_active"):
                parts.append(f"{across} {r[across]:.4f}")
    if r.get("pairs") is not None and r.get("ccta_active"):
        prec = r.get("pair_precision")
        parts.append(f"pairs {r['pairs']}" + (f" (precision {prec:.2f})" if prec is not None else ""))
    if "label_similarity" in r:
        parts.append(f"label sim {r['label_similarity']:.3f}")
    parts.append(f"{r['images_per_s']:.0f} img/s")
    if "eval_mAP" in r:
        # scored on the tracklets it learns from (their identities read only here): the site's own
        # people, not held-out ones (tools/ablation.py --heldout measures those)
        parts.append(f"cross-camera R1 {r['eval_rank1']:.3f} mAP {r['eval_mAP']:.3f} (its own tracklets)")
    return ", ".join(parts)
