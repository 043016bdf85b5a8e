"""Training progress for a log file: what Lightning's bar shows, as one line every LINE_SECONDS and one
per validation, when output is not a terminal (the bar's redraws made most of a recipe's log)."""

from __future__ import annotations

import time

import lightning as L

from asr.utils.progress import LINE_SECONDS


def _values(metrics: dict) -> str:
    return "  ".join(f"{name} {float(value):.4g}" for name, value in sorted(metrics.items()))


class ProgressLines(L.Callback):
    """Lines like "epoch 3  batch 120/412  step 1356  train_loss 0.4213" on the first rank."""

    def __init__(self, seconds: float = LINE_SECONDS):
        self.seconds = seconds
        self.last = 0.0

    def on_train_batch_end(self, trainer: L.Trainer, task: L.LightningModule, outputs, batch, batch_idx: int) -> None:
        now = time.monotonic()
        if not trainer.is_global_zero or now - self.last < self.seconds:
            return
        self.last = now
        shown = {k: v for k, v in trainer.progress_bar_metrics.items() if not k.startswith("val_")}
        print(f"epoch {trainer.current_epoch}  batch {batch_idx + 1}/{trainer.num_training_batches}  "
              f"step {trainer.global_step}  {_values(shown)}", flush=True)

    def on_validation_end(self, trainer: L.Trainer, task: L.LightningModule) -> None:
        if trainer.is_global_zero and not trainer.sanity_checking:
            shown = {k: v for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
            print(f"epoch {trainer.current_epoch}  validation  {_values(shown)}", flush=True)
