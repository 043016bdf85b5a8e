"""The skeleton every training shares: seed, prepare, fit with Lightning, record, export.

A kind of training (`acoustic.train`, `embedder.train_embedder`, `lm.train_lm`) says how to prepare:
read its data, build its model and task, print what it built (`Prepared`). `run_training` does the
rest the same way for all: it seeds first (weights are drawn while preparing), fits resuming from the
work folder's checkpoints (so a crash loses little), loads the best checkpoint back (or the average
of the best few) and writes the model file with what training recorded.
"""

from __future__ import annotations

import contextlib
import csv
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import lightning as L
import torch
from lightning.fabric.utilities.rank_zero import rank_zero_only
from lightning.pytorch.callbacks import ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from asr.errors import UserError
from asr.features.pipeline import FeaturePipeline
from asr.model_file import save_model_file
from asr.text.tokenizer import AnyTokenizer, build_tokenizer
from asr.text.tokenizer_file import load_tokenizer
from asr.training.averaging import average_state_dicts
from asr.training.checkpoint_io import SameFolderCheckpointIO, remove_partial_checkpoints
from asr.training.config import TokenizerConfig, TrainConfig
from asr.training.interruption import CheckpointOnSignal
from asr.training.plots import plot_learning_curves
from asr.utils.folder_lock import locked_folder
from asr.utils.progress import is_terminal
from asr.utils.progress_lines import ProgressLines


class Trained(NamedTuple):
    model_path: Path
    left_out: int  # inputs left out because they could not be read (audio files, lines of text)
    info: dict  # what the model file records of its training


@dataclass
class Prepared:
    """What a kind of training hands the skeleton."""

    task: L.LightningModule  # a ModelTask around the new model
    data: L.LightningDataModule
    train_cfg: TrainConfig
    monitor: str  # the logged value the best checkpoint has lowest
    features: FeaturePipeline | None  # what the model file carries beside the weights
    tokenizer: AnyTokenizer | None
    info: dict  # the config and data sizes, for the model file's info
    scores: Callable[[float | None], dict] = lambda best: {}  # the best `monitor` value -> info entries
    left_out: Sized = field(default_factory=set)  # why inputs could not be read; grows while fitting


def run_training(prepare: Callable[[], Prepared], seed: int, work_dir: Path, model_path: Path) -> Trained:
    """Seed, prepare, fit (logs and checkpoints in `work_dir`), then write the model file `model_path`."""
    L.seed_everything(seed, verbose=False)
    # the first process of a data-parallel run holds the folder for them all
    lock = locked_folder(work_dir, "another training") if rank_zero_only.rank == 0 else contextlib.nullcontext()
    with lock:
        prepared = prepare()
        trainer, best = fit(prepared.task, prepared.data, prepared.train_cfg, work_dir, prepared.monitor)
        score = float(best.best_model_score) if best.best_model_score is not None else None
        info = {**prepared.info, "epochs": trainer.current_epoch, "steps": trainer.global_step,
                **prepared.scores(score)}
        export(trainer, model_path, prepared.task.model, prepared.features, prepared.tokenizer, info, work_dir)
    return Trained(model_path, len(prepared.left_out), info)


def training_tokenizer(cfg: TokenizerConfig, texts: list[str]) -> AnyTokenizer:
    """The tokenizer file the config names, else one learnt from `texts` as the config says."""
    if cfg.file:
        return load_tokenizer(cfg.file)
    try:
        return build_tokenizer(cfg.kind, texts, vocab_size=cfg.vocab_size)
    except ValueError as err:
        raise UserError(str(err)) from None


def _newest_checkpoint(folder: Path) -> Path | None:
    checkpoints = sorted(folder.glob("*.ckpt"), key=lambda p: p.stat().st_mtime)
    if checkpoints:
        print(f"resuming from {checkpoints[-1]}")
    return checkpoints[-1] if checkpoints else None


def _load_checkpoint(path: Path) -> dict:
    """A Lightning checkpoint, read without running code from it (weights_only): one line if it is not one."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, foreign, or a pickle that would run code
        raise UserError(f"{path}: not a readable checkpoint ({type(err).__name__}); delete it to start over") from None


def _check_same_model(task: L.LightningModule, checkpoint: Path, saved: dict) -> None:
    """A checkpoint of another model (kind, size or tokens) cannot be resumed: say so in one line."""
    saved, ours = saved["state_dict"], task.state_dict()
    if saved.keys() != ours.keys() or any(saved[k].shape != ours[k].shape for k in ours):
        raise UserError(f"{checkpoint} holds another model than this config builds (its kind, size or tokens "
                        f"differ): use a new --out, or delete {checkpoint.parent} to start over")


def _log_rows_before(metrics_csv: Path, checkpoint: dict) -> list[dict]:
    """The training log's rows that a run resumed from `checkpoint` keeps: those of the steps it had
    trained (the log counts steps from 0, so the checkpoint's global step S ends with row S - 1), with
    the checkpoint's own last row if the kill came before Lightning wrote it. Later rows, logged after
    the checkpoint, are logged again by the resumed run."""
    rows = []
    if metrics_csv.is_file():
        with open(metrics_csv, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r.get("step", "").isdigit()
                    and int(r["step"]) < checkpoint["global_step"]]
    last = checkpoint.get("log_row")
    if last and not any(int(r["step"]) == last["step"] and r.get("train_loss") for r in rows):
        rows.append(last)
    return rows


def _checkpoints(train_cfg: TrainConfig, monitor: str,
                 folder: Path) -> tuple[ModelCheckpoint, list[ModelCheckpoint]]:
    """The best-checkpoints callback (lowest `monitor`), and it with the periodic ones."""
    best = ModelCheckpoint(dirpath=folder, filename="best-{step}", monitor=monitor, mode="min",
                           save_top_k=train_cfg.average_best)
    # a crash loses at most `checkpoint_every` steps or one epoch, whichever is less
    periodic = ModelCheckpoint(dirpath=folder, filename="step{step}", save_last=True,
                               every_n_train_steps=train_cfg.checkpoint_every, save_top_k=1,
                               auto_insert_metric_name=False)
    each_epoch = ModelCheckpoint(dirpath=folder, filename="epoch{epoch}", every_n_epochs=1,
                                 save_top_k=1, auto_insert_metric_name=False)
    return best, [best, periodic, each_epoch]


def _trainer(train_cfg: TrainConfig, out_dir: Path, callbacks: list[L.Callback], loggers: list) -> L.Trainer:
    """Lightning's Trainer as the train section says; a bar on a terminal, lines in a log file."""
    return L.Trainer(
        default_root_dir=out_dir,
        max_epochs=train_cfg.max_epochs,
        max_time={"minutes": train_cfg.max_minutes} if train_cfg.max_minutes > 0 else None,
        accelerator=train_cfg.accelerator,
        devices=train_cfg.devices,
        num_nodes=train_cfg.num_nodes,
        # several processes: DDP (gloo on CPUs, NCCL on GPUs), started by torchrun, SLURM or Lightning itself
        strategy="ddp" if train_cfg.devices != 1 or train_cfg.num_nodes > 1 else "auto",
        precision=train_cfg.precision,
        gradient_clip_val=train_cfg.grad_clip,
        # a bar on a terminal, lines in a log file
        callbacks=[*callbacks, TQDMProgressBar(refresh_rate=10) if is_terminal(sys.stdout) else ProgressLines()],
        enable_progress_bar=is_terminal(sys.stdout),
        logger=loggers,
        log_every_n_steps=train_cfg.log_every,
        num_sanity_val_steps=0,
        use_distributed_sampler=False,  # our batch samplers already bucket by length
        enable_model_summary=False,
        plugins=[SameFolderCheckpointIO()],
    )


@contextlib.contextmanager
def _cpu_kernels_for(trainer: L.Trainer, precision: str) -> Iterator[None]:
    """bf16 autocast on a CPU whose oneDNN has no bf16 LSTM (it needs AVX512; an AVX2-only CPU fails with
    'could not create a primitive descriptor'): oneDNN off for the run, so the LSTMs run in float32 through
    ATen, said in one line. Elsewhere nothing changes."""
    bf16_supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    if "bf16" not in str(precision) or trainer.strategy.root_device.type != "cpu" or bf16_supported():
        yield
        return
    print("asr: note: this CPU has no bf16 kernels for oneDNN's LSTM (they need AVX512): bf16 autocast runs "
          "the recurrent layers in float32", file=sys.stderr)
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def fit(task: L.LightningModule, data: L.LightningDataModule, train_cfg: TrainConfig, out_dir: Path,
        monitor: str, callbacks: Sequence[L.Callback] = ()) -> tuple[L.Trainer, ModelCheckpoint]:
    """Run Lightning on a task, resuming from out_dir/checkpoints; the best checkpoint (lowest `monitor`),
    or the average of the `train_cfg.average_best` best, is loaded back into the task. Returns the
    trainer and the best-checkpoints callback."""
    if train_cfg.threads > 0:
        torch.set_num_threads(train_cfg.threads)
    if train_cfg.average_best < 1:
        raise UserError(f"train.average_best must be at least 1, not {train_cfg.average_best}")
    best, checkpoints = _checkpoints(train_cfg, monitor, out_dir / "checkpoints")
    remove_partial_checkpoints(out_dir / "checkpoints")
    resume = _newest_checkpoint(out_dir / "checkpoints")
    saved = _load_checkpoint(resume) if resume is not None else None
    if saved is not None:
        _check_same_model(task, resume, saved)
    csv_log = CSVLogger(out_dir, name="logs", version="", flush_logs_every_n_steps=1)  # a kill loses no row
    earlier_rows = _log_rows_before(Path(csv_log.log_dir) / "metrics.csv", saved) if saved else []
    on_signal = CheckpointOnSignal(out_dir / "checkpoints")
    trainer = _trainer(train_cfg, out_dir, [*checkpoints, on_signal, *callbacks],
                       [csv_log, TensorBoardLogger(out_dir, name="logs", version="")])
    # the CSV writer removes an earlier metrics.csv when it starts: hand it the rows a resumed run keeps
    if earlier_rows and trainer.is_global_zero:  # the other ranks write no log
        csv_log.experiment.metrics[:0] = earlier_rows
    with warnings.catch_warnings(), _cpu_kernels_for(trainer, train_cfg.precision):
        # Lightning looks for resumable state on the loaders; ours is on the datamodule (ResumableDataModule)
        warnings.filterwarnings("ignore", message=".*your dataloader is not resumable")
        trainer.fit(task, datamodule=data, ckpt_path=resume, weights_only=True)
    if best.best_k_models:
        paths = sorted(best.best_k_models, key=lambda p: float(best.best_k_models[p]))
        states = [_load_checkpoint(Path(p))["state_dict"] for p in paths]
        task.load_state_dict(average_state_dicts(states))
        if len(states) > 1:
            print(f"model: the average of the {len(states)} best checkpoints by {monitor}")
    return trainer, best


def export(trainer: L.Trainer, model_path: Path, model: torch.nn.Module, features: FeaturePipeline | None,
           tokenizer: AnyTokenizer | None, info: dict, log_dir: Path) -> None:
    """Write the model file and the learning curve, once: on the first rank of a data-parallel run."""
    if trainer.is_global_zero:
        save_model_file(model_path, model, features, tokenizer, info)
        plot_learning_curves(log_dir / "logs" / "metrics.csv", log_dir / "learning_curve.png")
