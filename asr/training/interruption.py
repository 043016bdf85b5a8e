"""SIGTERM and SIGINT while fitting: finish the step in progress, checkpoint it, stop with a status.

Schedulers stop jobs with SIGTERM (SLURM preemption, Kubernetes, `timeout`) and people with Ctrl-C.
Lightning's own handling of SIGTERM stops without a checkpoint and exits 0, which a script takes for
a finished model. Here the first signal is noted; at the end of the training step in progress (a
checkpoint there resumes exactly, as the periodic ones do) the state is written to `last.ckpt` and
`asr.errors.Interrupted` ends the run with status 128 + the signal's number. A second signal stops at
once, from the checkpoints written before.
"""

from __future__ import annotations

import signal
from pathlib import Path

import lightning as L
import torch

from asr.errors import Interrupted

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class CheckpointOnSignal(L.Callback):
    """Write `folder/last.ckpt` at the end of the step during which SIGTERM or SIGINT came, then stop."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.received: int | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # after Lightning's own handlers are in place (it sets them just before training starts);
        # it puts back the ones from before `fit` when fitting ends, however it ends
        self.received = None
        for signum in SIGNALS:
            signal.signal(signum, self._note)

    def _note(self, signum: int, frame: object) -> None:
        if self.received is not None:  # asked twice: do not wait for the step to end
            raise Interrupted(f"training stopped by a second {signal.Signals(signum).name} before its checkpoint; "
                              "the same command resumes from the last one written", signum)
        self.received = signum

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        signum = self._agreed_signal(trainer)
        if signum is None:
            return
        path = self.folder / "last.ckpt"
        trainer.save_checkpoint(path)
        raise Interrupted(f"training stopped by {signal.Signals(signum).name} at step {trainer.global_step}; "
                          f"checkpoint {path} written: the same command resumes it", signum)

    def _agreed_signal(self, trainer: L.Trainer) -> int | None:
        """The signal any process of a data-parallel run received (each must checkpoint at the same step)."""
        if trainer.world_size == 1:
            return self.received
        flag = torch.tensor([self.received or 0], device=trainer.strategy.root_device)
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        return int(flag.item()) or None
