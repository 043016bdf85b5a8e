"""Training throughput: `asr train`'s Lightning loop against a plain PyTorch loop.

  .venv/bin/python scripts/bench_train.py --config recipes/mini/conf.yaml --steps 60

Both loops run the same model (same initial weights), the same length-bucketed batches in the
same order, the same features, SpecAugment, Adam, schedule and gradient clipping. Prints seconds
of audio trained per second of wall time for each, after `--warmup` untimed steps, and the ratio.
Run it from the recipe folder (or pass absolute manifest paths) once the mini corpus exists.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import time

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from asr.features.specaugment import spec_augment
from asr.models.ctc_model import ctc_loss
from asr.training.acoustic import build_setup, make_datamodule, make_task
from asr.training.config import load_config
from asr.training.task import warmup_cosine


class StepTimer(Callback):
    """Wall time and audio seconds of the training steps after the warm-up ones."""

    def __init__(self, warmup: int):
        self.warmup, self.start, self.audio = warmup, None, 0.0

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if trainer.global_step == self.warmup:
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if trainer.global_step > self.warmup:
            self.audio += batch.wave_lens.sum().item() / 16000


def bench_lightning(cfg, setup, steps: int, warmup: int) -> float:
    timer = StepTimer(warmup)
    trainer = L.Trainer(max_steps=steps, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        limit_val_batches=0, num_sanity_val_steps=0, gradient_clip_val=cfg.train.grad_clip,
                        callbacks=[timer], enable_progress_bar=False, enable_model_summary=False,
                        use_distributed_sampler=False)
    trainer.fit(make_task(cfg, setup), datamodule=make_datamodule(cfg, setup))
    return timer.audio / (time.perf_counter() - timer.start)


def bench_plain(cfg, setup, steps: int, warmup: int) -> float:
    features, model = setup.features, setup.model
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.train.lr, fused=True)  # as SpeechTask
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_cosine(s, cfg.train.warmup_steps, steps, cfg.train.final_lr_ratio))
    loader = make_datamodule(cfg, setup).train_dataloader()
    audio, start = 0.0, None
    for step, batch in enumerate(itertools.islice(itertools.cycle(loader), steps)):
        if step == warmup:
            start = time.perf_counter()
        with torch.no_grad():
            feats, feat_lens = features(batch.waves, batch.wave_lens)
            feats = spec_augment(feats, feat_lens, cfg.specaugment)
        log_probs, out_lens = model(feats, feat_lens)
        loss = ctc_loss(log_probs, out_lens, batch.targets, batch.target_lens)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.train.grad_clip)
        optimizer.step()
        schedule.step()
        if step >= warmup:
            audio += batch.wave_lens.sum().item() / 16000
    return audio / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    args, overrides = parser.parse_known_args()
    cfg = load_config(args.config, overrides)
    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    setup = build_setup(cfg)
    initial = copy.deepcopy(setup.model.state_dict())
    plain = bench_plain(cfg, setup, args.steps, args.warmup)
    setup.model.load_state_dict(initial)
    lightning = bench_lightning(cfg, setup, args.steps, args.warmup)
    print(f"threads {torch.get_num_threads()}, {args.steps - args.warmup} timed steps")
    print(f"plain PyTorch loop: {plain:7.1f} s of audio per second")
    print(f"asr (Lightning):    {lightning:7.1f} s of audio per second")
    print(f"ratio asr / plain:  {lightning / plain:.3f}")


if __name__ == "__main__":
    main()
