"""`train(config, out_dir)`: manifests in, a self-contained acoustic model file (ctc, las, joint) out.

It prepares what the driver fits: reads the manifests, builds the tokenizer, measures normalisation
statistics (fine-tuning from model.init_from: takes the base model's features and tokenizer), drops
utterances the model cannot learn from (counted) and builds the model and its task;
`asr.training.driver` fits it and exports the best checkpoint as model.pt. Re-running with the same
out_dir resumes from its last checkpoint, so a crash loses little.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch

from asr.errors import UserError
from asr.features.pipeline import FeaturePipeline
from asr.model_file import LoadedModel
from asr.models.kinds import ACOUSTIC_KINDS
from asr.text.tokenizer import AnyTokenizer
from asr.training.augmentation import WaveAugmentation
from asr.training.config import Config
from asr.training.data import (
    Example,
    FilterCounts,
    SpeechDataModule,
    make_examples,
    measure_cmvn,
    read_transcribed,
)
from asr.training.driver import Prepared, Trained, run_training, training_tokenizer
from asr.training.init_from import differences, load_start, take_all, take_encoder
from asr.training.task import SpeechTask


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
    augment: WaveAugmentation | None  # what each training read does to its audio


def build_setup(cfg: Config) -> Setup:
    """Seed, read manifests, build tokenizer, features (with statistics) and model; filter utterances, with
    counts. (It seeds itself, as the driver does, for scripts that fit its setup their own way.)"""
    L.seed_everything(cfg.train.seed, verbose=False)
    # transcripts lost in normalisation (another script) are left out before the tokenizer learns from the rest
    train_utts, dev_utts = read_transcribed(cfg.data.train, "train"), read_transcribed(cfg.data.dev, "dev")
    base = _base_model(cfg) if cfg.model.init_from else None
    augment = WaveAugmentation.from_config(cfg.data, cfg.features.sample_rate)  # a wrong folder: refused at once
    if base is not None and not cfg.tokenizer.file:
        tokenizer = base.tokenizer  # fine-tuning keeps the base's output units
    else:
        tokenizer = training_tokenizer(cfg.tokenizer, [u.text for u in train_utts])
    # the base's frames and statistics (its weights learned on them), else this config's, measured
    # (a loaded model is in eval mode; a pipeline trains as a new one does)
    features = base.features.train() if base is not None else FeaturePipeline(cfg.features)
    model = cfg.model.new_model(features.dim, tokenizer)  # before the statistics: one too large is refused at once
    unreadable: set[str] = set()
    if base is None or cfg.data.recompute_cmvn:
        features = measure_cmvn(features, train_utts, cfg.data.cmvn_utterances, cfg.train.seed, unreadable)
    else:
        _take_weights(cfg, model, tokenizer, base)

    def output_frames(seconds: float) -> int:
        frames = features.num_frames(round(seconds * cfg.features.sample_rate))
        return int(model.output_lengths(torch.tensor(frames)))

    # Only a CTC loss needs at least one output frame per token; an attention decoder does not.
    needs_frames = output_frames if model.has_ctc else None
    train_ex, train_counts = make_examples(train_utts, tokenizer, needs_frames, max_duration=cfg.data.max_duration)
    dev_ex, dev_counts = make_examples(dev_utts, tokenizer, needs_frames)
    print(train_counts.summary("train"))
    print(dev_counts.summary("dev"))
    if not train_ex or not dev_ex:
        raise UserError("no usable utterances left in the train or dev manifest (see the counts above)")
    params = sum(p.numel() for p in model.parameters())
    enc = model.cfg.encoder
    print(f"model: {cfg.model.kind}, encoder {enc.layers}x{enc.hidden} {enc.cell} "
          f"{'bi' if enc.bidirectional else 'uni'}directional, {params / 1e6:.2f} M parameters, "
          f"{len(tokenizer)} {tokenizer.kind} tokens, time reduction {enc.reduction}x")
    if enc.chunk_frames:
        hop = cfg.features.hop_ms / 1000
        print(f"latency-controlled: chunks of {enc.chunk_frames * hop:.2f} s, {enc.right_context_frames * hop:.2f} s "
              f"of right context{' (summarised)' if enc.right_context == 'summary' else ''}, at most "
              f"{(enc.lookahead_frames + 1) * hop:.2f} s ahead")
    if augment is not None:
        print(augment.describe(), flush=True)
    frozen = [f"{n} {what}" for n, what in ((cfg.train.freeze_encoder_epochs, "epochs"),
                                            (cfg.train.freeze_encoder_steps, "steps")) if n]
    if frozen:
        print(f"the encoder keeps its weights for the first {' or '.join(frozen)}", flush=True)
    return Setup(tokenizer, features, model, train_ex, dev_ex, train_counts, unreadable, augment)


def _base_model(cfg: Config) -> LoadedModel:
    """model.init_from's model file: an acoustic model whose frontend is the one this config describes."""
    path = cfg.model.init_from
    base = load_start(path, ACOUSTIC_KINDS, f"an acoustic model ({', '.join(ACOUSTIC_KINDS)})")
    # one frontend in one line: the base's weights were learned on its frames, this config's would be others
    differ = differences(base.features.cfg, cfg.features, "features")
    if differ:
        raise UserError(f"model.init_from: {path} has {'; '.join(differ)} (fine-tuning keeps the base's features: "
                        "set them as the base has them)")
    return base


def _take_weights(cfg: Config, model: torch.nn.Module, tokenizer: AnyTokenizer, base: LoadedModel) -> None:
    """All the base's weights when the model is of its kind and tokens; else its encoder's (the rest new)."""
    path = cfg.model.init_from
    sizes = differences(base.model.cfg, model.cfg, "model", skip=("dropout", "vocab_size", "eos_id", "blank_id"))
    refusal = f"model.init_from: {path} has another size than this config ({'; '.join(sizes) or 'its layers'})"
    same_tokens = tokenizer.to_dict() == base.tokenizer.to_dict()
    if same_tokens and model.kind == base.kind:
        take_all(model, base.model, refusal)
        return
    encoder_sizes = differences(base.model.cfg.encoder, model.cfg.encoder, "model", skip=("dropout",))
    take_encoder(model, base.model, f"model.init_from: {path} has another encoder than this config "
                                    f"({'; '.join(encoder_sizes) or 'its layers'})")
    if not same_tokens:
        print(f"model.init_from: another tokenizer ({len(tokenizer)} symbols, the base has {len(base.tokenizer)}): "
              "the encoder is taken, the output layers start new", flush=True)
    else:
        print(f"model.init_from: a {base.kind} base for a {model.kind} model: the encoder is taken, "
              "the rest starts new", flush=True)


def make_datamodule(cfg: Config, setup: Setup) -> SpeechDataModule:
    return SpeechDataModule(setup.train, setup.dev, sample_rate=cfg.features.sample_rate,
                            max_batch_seconds=cfg.data.max_batch_seconds, max_batch_size=cfg.data.max_batch_size,
                            num_workers=cfg.data.num_workers, seed=cfg.train.seed, augment=setup.augment,
                            cache_audio=cfg.data.cache_audio)


def make_task(cfg: Config, setup: Setup) -> SpeechTask:
    sa = cfg.specaugment
    specaugment = sa if (sa.freq_masks or sa.time_masks or sa.freq_warp) else None
    task = SpeechTask(setup.model, setup.features, setup.tokenizer, specaugment, cfg.train)
    task.unreadable = setup.unreadable  # one report per file, from the statistics to the last epoch
    return task


def _info(cfg: Config, setup: Setup) -> dict:
    """What the model file records of its training, for people to read (and what it was fine-tuned from)."""
    info = {"config": cfg.to_dict(), "train_utterances": setup.train_counts.kept}
    if cfg.model.init_from:
        info["init_from"] = str(cfg.model.init_from)
    return info


def train(cfg: Config, out_dir: str | Path) -> Trained:
    """Fit a model as configured; returns the exported model file (out_dir/model.pt) and how many
    files were left out because they could not be read."""

    def prepare() -> Prepared:
        setup = build_setup(cfg)
        return Prepared(make_task(cfg, setup), make_datamodule(cfg, setup), cfg.train, "val_cer", setup.features,
                        setup.tokenizer, _info(cfg, setup),
                        lambda best: {"best_val_cer": best}, setup.unreadable)

    out_dir = Path(out_dir)
    return run_training(prepare, cfg.train.seed, out_dir, out_dir / "model.pt")
