"""The LightningModule that trains any model kind: the model's own loss, logging, optimiser and schedule.

Each model brings `loss(...) -> (loss, parts)`; the system logs the total and each part
(train_ctc, train_att, ...), so a new kind needs no new loop. Acoustic models add features,
augmentation and validation error rates through the transcription decoder (`SpeechTask`);
language models read token batches (`asr.training.lm.TextTask`).
"""

from __future__ import annotations

import math
import sys

import lightning as L
import torch
from lightning.pytorch.callbacks import Timer

from asr.errors import UserError
from asr.features.pipeline import FeaturePipeline
from asr.features.specaugment import SpecAugmentConfig, spec_augment
from asr.text.error_rates import error_rates
from asr.text.tokenizer import AnyTokenizer
from asr.training.config import TrainConfig
from asr.training.data import Batch, report_unreadable
from asr.transcription.decoder import TokenDecoder


def warmup_cosine(step: int, warmup: int, total: int, final_ratio: float, time_progress: float = 0.0) -> float:
    """Learning-rate multiplier: linear warm-up to 1, then cosine decay to `final_ratio` at `total`.

    `time_progress` (elapsed / wall-clock budget) takes over when it is further along than the
    steps, so a run cut short by its time budget still ends annealed instead of at a high rate.

    >>> [round(warmup_cosine(s, 10, 110, 0.1), 3) for s in (0, 9, 60, 110, 500)]
    [0.1, 1.0, 0.55, 0.1, 0.1]
    >>> round(warmup_cosine(20, 10, 110, 0.1, time_progress=0.5), 3), warmup_cosine(20, 10, 110, 0.1, 1.0)
    (0.55, 0.1)
    """
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, max(time_progress, (step - warmup) / max(1, total - warmup)))
    return final_ratio + (1 - final_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


class ModelTask(L.LightningModule):
    """The system every model kind trains in: the model's own loss, logging, optimiser and schedule.

    A subclass says only how a batch becomes the arguments of `model.loss` and what validation
    measures beyond the loss.
    """

    def __init__(self, model: torch.nn.Module, train_cfg: TrainConfig):
        super().__init__()
        self.model = model
        self.train_cfg = train_cfg
        self.batches_seen = self.batches_skipped = 0  # batches skipped for a non-finite loss, in this process
        self.unreadable: set[str] = set()  # why files were left out of training (fit shares the set)

    def loss_inputs(self, batch: tuple, train: bool) -> tuple:
        """The arguments of `model.loss` for a batch (augmented when `train`)."""
        raise NotImplementedError

    def training_loss(self, batch: tuple) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss a training step minimises and its parts: the model's own, unless a task adds a term."""
        return self.model.loss(*self.loss_inputs(batch, train=True))

    def trained_parameters(self) -> list[torch.nn.Parameter]:
        """What the optimiser updates: the model's weights, and those of any training-only part of a task."""
        return list(self.model.parameters())

    def _log_losses(self, prefix: str, loss: torch.Tensor, parts: dict[str, torch.Tensor],
                    batch_size: int) -> dict[str, float]:
        """Log the loss and its parts; returns what was logged."""
        values = {f"{prefix}_loss": loss}
        if len(parts) > 1:  # a single part is the loss itself
            values.update({f"{prefix}_{name}": value for name, value in parts.items()})
        for name, value in values.items():
            self.log(name, value, prog_bar=name == f"{prefix}_loss", batch_size=batch_size)
        return {name: float(value.detach()) for name, value in values.items()}

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor | None:
        if not self._on_every_rank(self._readable(batch)):  # the ranks skip an empty batch together
            return None
        loss, parts = self.training_loss(batch)
        # logged either way: a skipped step's row shows its NaN, not the step before's values again
        self._step_row = self._log_losses("train", loss, parts, len(batch.ids))
        # a float32 tensor, as Lightning writes a logged float: the row a checkpoint keeps must match the CSV's
        lr = torch.tensor(self.optimizers().param_groups[0]["lr"], dtype=torch.float32)
        self._step_row["lr"] = float(lr)
        self.log("lr", lr, prog_bar=False, batch_size=len(batch.ids))
        self.batches_seen += 1
        return loss if self._on_every_rank(bool(torch.isfinite(loss.detach()))) else self._skip(batch, loss)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """While train.freeze_encoder_epochs or _steps hold, the encoder takes no update: its gradients are
        dropped, and Adam leaves a weight without one (and its moments and decay) as it was."""
        cfg = self.train_cfg
        if self.current_epoch < cfg.freeze_encoder_epochs or self.global_step < cfg.freeze_encoder_steps:
            for weight in self.model.encoder.parameters():
                weight.grad = None

    def _readable(self, batch: tuple) -> bool:
        """Report the batch's unreadable files (once each: `unreadable`) and say whether any item is left."""
        for reason in getattr(batch, "unreadable", ()):
            report_unreadable(reason, self.unreadable)
        return len(batch.ids) > 0

    def _on_every_rank(self, flag: bool) -> bool:
        """Whether `flag` holds on every data-parallel rank: they skip a batch together, or the ranks
        that step would wait for the gradients of those that do not."""
        if self.trainer.world_size == 1:
            return flag
        return bool(self.all_gather(torch.tensor(float(flag), device=self.device)).min())

    def _skip(self, batch: tuple, loss: torch.Tensor) -> None:
        """Skip a batch whose loss is NaN or infinite (no update, a warning and a count); stop when they
        are most batches, which no single bad file explains (too high a learning rate, broken features)."""
        self.batches_skipped += 1
        ids = ", ".join(map(str, batch.ids[:3])) + (", ..." if len(batch.ids) > 3 else "")
        print(f"asr: warning: step {self.global_step}: the loss is {float(loss)} on a batch of {len(batch.ids)} "
              f"({ids}); skipped it, {self.batches_skipped} of {self.batches_seen} batches so far", file=sys.stderr)
        if self.batches_skipped >= 10 and self.batches_skipped > self.batches_seen / 2:
            raise UserError(f"{self.batches_skipped} of {self.batches_seen} training batches had a NaN or infinite "
                            "loss: training stopped (lower train.lr, or check the data and features)")
        return None

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Put this step's row of the training log in a checkpoint saved at its end: Lightning writes
        the row only after the checkpoint, so a kill in between would lose it (see fit's resume)."""
        step = self.trainer.fit_loop.epoch_loop._batches_that_stepped  # the row's step; Lightning adds 1 after
        if getattr(self, "_step_row", None) and (step + 1) % self.trainer.log_every_n_steps == 0:
            checkpoint["log_row"] = {"epoch": self.trainer.current_epoch, "step": step, **self._step_row}

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        if not self._readable(batch):
            return
        loss, parts = self.model.loss(*self.loss_inputs(batch, train=False))
        self._log_losses("val", loss, parts, len(batch.ids))

    def _time_progress(self) -> float:
        """Fraction of the wall-clock budget (train.max_minutes) spent; 0 without one.

        Read from Lightning's Timer, which enforces that budget and keeps its count across a resume.
        """
        if self.train_cfg.max_minutes <= 0 or self._trainer is None:
            return 0.0
        timers = [c for c in self.trainer.callbacks if isinstance(c, Timer)]
        return timers[0].time_elapsed("train") / (60 * self.train_cfg.max_minutes) if timers else 0.0

    def configure_optimizers(self) -> dict:
        cfg = self.train_cfg
        # The fused kernel updates all parameters in one pass (measured: the optimiser step went from
        # 6% to 3.6% of a 3x192 training step on 2 cores). Lightning's mixed-precision plugin (16 and
        # bf16) refuses to clip the gradients of a fused optimiser, so mixed precision keeps the plain one.
        fused = "mixed" not in str(cfg.precision) and not str(cfg.precision).startswith("16")
        optimizer = torch.optim.Adam(self.trained_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused)
        total = int(self.trainer.estimated_stepping_batches)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: warmup_cosine(step, cfg.warmup_steps, total, cfg.final_lr_ratio,
                                                  self._time_progress()))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


class SpeechTask(ModelTask):
    """Any acoustic model (ctc, las, joint) with its feature pipeline and augmentation.

    Validation decodes greedily (CTC: the best path; LAS: the speller one token at a time; joint:
    the joint search with one hypothesis): cheap enough to run every epoch, and what picks the best
    checkpoint (val_cer).
    """

    def __init__(self, model: torch.nn.Module, features: FeaturePipeline, tokenizer: AnyTokenizer,
                 specaugment: SpecAugmentConfig | None, train_cfg: TrainConfig):
        super().__init__(model, train_cfg)
        self.features = features
        self.tokenizer = tokenizer
        self.specaugment = specaugment
        # greedy with the weights of the model's own search: a joint model is scored by its joint search
        # (beam 1), not by its CTC head alone, whose early dev errors would pick the wrong checkpoint; LAS
        # by its speller alone, as it is decoded, whether or not a CTC head trained beside it
        self.dev_decoder = TokenDecoder.for_model(model, tokenizer, decode="greedy",
                                                  ctc_weight=model.search_ctc_weight if model.has_attention else None)
        self._dev_refs: list[str] = []
        self._dev_hyps: list[str] = []

    def loss_inputs(self, batch: Batch, train: bool) -> tuple:
        """Features (augmented when training) and targets: the arguments of every acoustic model's loss."""
        with torch.no_grad():
            max_warp = self.specaugment.freq_warp if train and self.specaugment is not None else 0.0
            feats, feat_lens = self.features.warped(batch.waves, batch.wave_lens, max_warp)
            if train and self.specaugment is not None:
                feats = spec_augment(feats, feat_lens, self.specaugment)
        return feats, feat_lens, batch.targets, batch.target_lens

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Dev loss and greedy transcripts from one pass of the encoder."""
        if not self._readable(batch):
            return
        feats, feat_lens, targets, target_lens = self.loss_inputs(batch, train=False)
        enc, enc_lens = self.model.encode(feats, feat_lens)
        loss, parts = self.model.encoded_loss(enc, enc_lens, targets, target_lens)
        self._log_losses("val", loss, parts, len(batch.ids))
        ids, _ = self.dev_decoder.decode_encoded(enc, enc_lens)
        self._dev_hyps += [self.tokenizer.decode(i) for i in ids]
        self._dev_refs += batch.texts

    def on_validation_epoch_end(self) -> None:
        if self._dev_refs:
            rates = error_rates(self._dev_refs, self._dev_hyps)
            self.log("val_cer", rates["cer"], prog_bar=True)
            self.log("val_wer", rates["wer"], prog_bar=True)
        self._dev_refs, self._dev_hyps = [], []
