"""`train(config, out_dir)`: manifests in, a self-contained model file out.

Steps: read manifests, build the tokenizer, measure normalisation statistics, drop utterances
CTC cannot learn from (counted), fit with Lightning, export the best checkpoint as model.pt.
Re-running with the same out_dir resumes from its last checkpoint, so a crash loses little.
"""

from __future__ import annotations

import csv
import random
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from asr.data.audio import load_audio
from asr.data.manifest import Utterance, read_manifest
from asr.errors import UserError
from asr.features.cmvn import accumulate_stats
from asr.features.pipeline import FeaturePipeline
from asr.model_file import save_model_file
from asr.models.kinds import build_model
from asr.utils.progress import is_terminal
from asr.text.tokenizer import AnyTokenizer, build_tokenizer
from asr.text.tokenizer_file import load_tokenizer
from asr.training.averaging import average_state_dicts
from asr.training.checkpoint_io import SameFolderCheckpointIO, remove_partial_checkpoints
from asr.training.config import Config, TokenizerConfig, TrainConfig
from asr.training.task import SpeechTask
from asr.training.data import Example, FilterCounts, SpeechDataModule, make_examples, report_unreadable
from asr.training.plots import plot_learning_curves
from asr.utils.progress_lines import ProgressLines


def read_utterances(path: str, what: str, max_duration: float | None = None) -> list[Utterance]:
    """The utterances of the `what` ("train", "dev") manifest; with `max_duration`, those no longer."""
    if not path:
        raise UserError(f"no {what} manifest: set data.{what} in the config or pass --data.{what} PATH")
    if not Path(path).is_file():
        raise UserError(f"{what} manifest not found: {path}")
    utterances = read_manifest(path)
    if max_duration is not None:
        utterances = [u for u in utterances if u.duration <= max_duration]
    if not utterances:
        raise UserError(f"{what} manifest is empty: {path}" if max_duration is None
                        else f"{what} manifest has nothing of at most data.max_duration={max_duration} s: {path}")
    return utterances


def measure_cmvn(features: FeaturePipeline, utterances: list[Utterance], count: int, seed: int,
                 unreadable: set[str] | None = None) -> FeaturePipeline:
    """Global mean and standard deviation of the frontend's output over a sample of training audio;
    files that cannot be read are reported (into `unreadable`) and left out."""
    sample = random.Random(seed).sample(utterances, min(count, len(utterances)))
    unreadable = set() if unreadable is None else unreadable
    unnormalised = FeaturePipeline(features.cfg)  # mean 0, std 1: the frontend (and utterance mean removal)

    def frames():
        for utt in sample:
            try:
                wave = load_audio(utt.audio, features.cfg.sample_rate, utt.start, utt.end)
            except UserError as err:
                report_unreadable(str(err), unreadable)
                continue
            feats, _ = unnormalised(wave.unsqueeze(0), torch.tensor([len(wave)]))
            yield feats[0]

    with torch.no_grad():
        stats = accumulate_stats(frames())
    return FeaturePipeline(features.cfg, stats.mean, stats.std)


@dataclass
class Setup:
    """Everything training needs before the loop starts."""

    tokenizer: AnyTokenizer
    features: FeaturePipeline
    model: torch.nn.Module
    train: list[Example]
    dev: list[Example]
    train_counts: FilterCounts
    unreadable: set[str]  # why files could not be read, reported once each; training continues without them


class Trained(NamedTuple):
    model_path: Path
    left_out: int  # inputs left out because they could not be read (audio files, lines of text)


def training_tokenizer(cfg: TokenizerConfig, texts: list[str]) -> AnyTokenizer:
    """The tokenizer file the config names, else one learnt from `texts` as the config says."""
    if cfg.file:
        return load_tokenizer(cfg.file)
    try:
        return build_tokenizer(cfg.kind, texts, vocab_size=cfg.vocab_size)
    except ValueError as err:
        raise UserError(str(err)) from None


def build_setup(cfg: Config) -> Setup:
    """Read manifests, build tokenizer, features (with statistics) and model; filter utterances, with counts."""
    L.seed_everything(cfg.train.seed, verbose=False)
    train_utts, dev_utts = read_utterances(cfg.data.train, "train"), read_utterances(cfg.data.dev, "dev")
    tokenizer = training_tokenizer(cfg.tokenizer, [u.text for u in train_utts])
    try:
        unreadable: set[str] = set()
        features = measure_cmvn(FeaturePipeline(cfg.features), train_utts, cfg.data.cmvn_utterances, cfg.train.seed,
                                unreadable)
        model_cfg = cfg.model.model_config(features.dim, len(tokenizer), tokenizer.eos_id)
        model = build_model(cfg.model.kind, model_cfg.to_dict())
    except ValueError as err:  # a bad value in the config
        raise UserError(str(err)) from None

    def output_frames(seconds: float) -> int:
        frames = features.num_frames(int(round(seconds * cfg.features.sample_rate)))
        return int(model.output_lengths(torch.tensor(frames)))

    # Only a CTC loss needs at least one output frame per token; an attention decoder does not.
    needs_frames = output_frames if cfg.model.kind in ("ctc", "joint") else None
    train_ex, train_counts = make_examples(train_utts, tokenizer, needs_frames, max_duration=cfg.data.max_duration)
    dev_ex, dev_counts = make_examples(dev_utts, tokenizer, needs_frames)
    print(train_counts.summary("train"))
    print(dev_counts.summary("dev"))
    if not train_ex or not dev_ex:
        raise UserError("no usable utterances left in the train or dev manifest (see the counts above)")
    params = sum(p.numel() for p in model.parameters())
    enc = model_cfg.encoder
    print(f"model: {cfg.model.kind}, encoder {enc.layers}x{enc.hidden} {enc.cell} "
          f"{'bi' if enc.bidirectional else 'uni'}directional, {params / 1e6:.2f} M parameters, "
          f"{len(tokenizer)} {tokenizer.kind} tokens, time reduction {enc.reduction}x")
    return Setup(tokenizer, features, model, train_ex, dev_ex, train_counts, unreadable)


def make_datamodule(cfg: Config, setup: Setup) -> SpeechDataModule:
    return SpeechDataModule(setup.train, setup.dev, sample_rate=cfg.features.sample_rate,
                            max_batch_seconds=cfg.data.max_batch_seconds, max_batch_size=cfg.data.max_batch_size,
                            num_workers=cfg.data.num_workers, seed=cfg.train.seed, speeds=cfg.data.speed_perturb,
                            noise_snr=cfg.data.noise_snr, cache_audio=cfg.data.cache_audio)


def make_task(cfg: Config, setup: Setup) -> SpeechTask:
    sa = cfg.specaugment
    specaugment = sa if (sa.freq_masks or sa.time_masks or sa.freq_warp) else None
    task = SpeechTask(setup.model, setup.features, setup.tokenizer, specaugment, cfg.train)
    task.unreadable = setup.unreadable  # one report per file, from the statistics to the last epoch
    return task


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


def fit(task: L.LightningModule, data: L.LightningDataModule, train_cfg: TrainConfig, out_dir: Path,
        monitor: str, callbacks: Sequence[L.Callback] = ()) -> tuple[L.Trainer, ModelCheckpoint]:
    """Run Lightning on a task, resuming from out_dir/checkpoints; the best checkpoint (lowest `monitor`),
    or the average of the `train_cfg.average_best` best, is loaded back into the task. Returns the
    trainer and the best-checkpoints callback."""
    if train_cfg.threads > 0:
        torch.set_num_threads(train_cfg.threads)
    if train_cfg.average_best < 1:
        raise UserError(f"train.average_best must be at least 1, not {train_cfg.average_best}")
    best = ModelCheckpoint(dirpath=out_dir / "checkpoints", filename="best-{step}", monitor=monitor, mode="min",
                           save_top_k=train_cfg.average_best)
    # a crash loses at most `checkpoint_every` steps or one epoch, whichever is less
    periodic = ModelCheckpoint(dirpath=out_dir / "checkpoints", filename="step{step}", save_last=True,
                               every_n_train_steps=train_cfg.checkpoint_every, save_top_k=1,
                               auto_insert_metric_name=False)
    each_epoch = ModelCheckpoint(dirpath=out_dir / "checkpoints", filename="epoch{epoch}", every_n_epochs=1,
                                 save_top_k=1, auto_insert_metric_name=False)
    remove_partial_checkpoints(out_dir / "checkpoints")
    resume = _newest_checkpoint(out_dir / "checkpoints")
    saved = _load_checkpoint(resume) if resume is not None else None
    if saved is not None:
        _check_same_model(task, resume, saved)
    csv_log = CSVLogger(out_dir, name="logs", version="", flush_logs_every_n_steps=1)  # a kill loses no row
    earlier_rows = _log_rows_before(Path(csv_log.log_dir) / "metrics.csv", saved) if saved else []
    trainer = L.Trainer(
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
        callbacks=[best, periodic, each_epoch, TQDMProgressBar(refresh_rate=10) if is_terminal(sys.stdout)
                   else ProgressLines(), *callbacks],
        enable_progress_bar=is_terminal(sys.stdout),
        logger=[csv_log, TensorBoardLogger(out_dir, name="logs", version="")],
        log_every_n_steps=train_cfg.log_every,
        num_sanity_val_steps=0,
        use_distributed_sampler=False,  # our batch samplers already bucket by length
        enable_model_summary=False,
        plugins=[SameFolderCheckpointIO()],
    )
    # the CSV writer removes an earlier metrics.csv when it starts: hand it the rows a resumed run keeps
    if earlier_rows and trainer.is_global_zero:  # the other ranks write no log
        csv_log.experiment.metrics[:0] = earlier_rows
    with warnings.catch_warnings():
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


def train(cfg: Config, out_dir: str | Path) -> Trained:
    """Fit a model as configured; returns the exported model file (out_dir/model.pt) and how many
    files were left out because they could not be read."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    setup = build_setup(cfg)
    task = make_task(cfg, setup)
    trainer, best = fit(task, make_datamodule(cfg, setup), cfg.train, out_dir, monitor="val_cer")
    info = {
        "config": cfg.to_dict(),
        "train_utterances": setup.train_counts.kept,
        "epochs": trainer.current_epoch,
        "steps": trainer.global_step,
        "best_val_cer": float(best.best_model_score) if best.best_model_score is not None else None,
    }
    model_path = out_dir / "model.pt"
    export(trainer, model_path, task.model, task.features, setup.tokenizer, info, out_dir)
    return Trained(model_path, len(setup.unreadable))
