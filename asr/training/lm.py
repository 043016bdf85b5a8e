"""Training the LSTM language model on text: plain text files (a sentence a line) or manifests.

The LM predicts the same token ids as the acoustic model it will be fused with, so its tokenizer
comes from that model's file (`tokenizer_from`) or, failing that, is built from the text as the
config's tokenizer section says. It trains in the same Lightning system as acoustic models: the
lm section sets the model, epochs, budget and learning rate; the rest of the optimisation (seed,
warm-up, clipping, precision, threads) comes from the train section.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from asr.data.text_corpus import read_texts, report_left_out
from asr.errors import UserError
from asr.model_file import load_model_file
from asr.models.kinds import ACOUSTIC_KINDS, TRAINING, build_model
from asr.text.tokenizer import PAD_ID, AnyTokenizer
from asr.training.config import Config
from asr.training.data import LengthBucketSampler
from asr.training.driver import Prepared, Trained, run_training, training_tokenizer
from asr.training.task import ModelTask


class TextBatch(NamedTuple):
    tokens: torch.Tensor  # (B, S) int64, padded with PAD_ID
    lengths: torch.Tensor  # (B,) int64
    ids: list[int]  # sentence indices


class TextTask(ModelTask):
    """A language model on token batches; validation reports perplexity (exp of val_loss)."""

    def loss_inputs(self, batch: TextBatch, train: bool) -> tuple:
        return batch.tokens, batch.lengths


def _collate(items: list[tuple[int, np.ndarray]]) -> TextBatch:
    ids, seqs = zip(*items)
    tokens = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(s).long() for s in seqs], batch_first=True,
                                             padding_value=PAD_ID)
    return TextBatch(tokens, torch.tensor([len(s) for s in seqs]), list(ids))


class TextDataModule(L.LightningDataModule):
    """Sentences of similar length batched together, `batch_size` a batch."""

    def __init__(self, train: list[np.ndarray], dev: list[np.ndarray], batch_size: int, seed: int):
        super().__init__()
        self.train, self.dev, self.batch_size, self.seed = train, dev, batch_size, seed

    def _loader(self, seqs: list[np.ndarray], shuffle: bool) -> DataLoader:
        sampler = LengthBucketSampler([len(s) for s in seqs], math.inf, self.batch_size, shuffle, self.seed)
        return DataLoader(list(enumerate(seqs)), batch_sampler=sampler, collate_fn=_collate)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.dev, shuffle=False)


def lm_tokenizer(cfg: Config, texts: list[str], tokenizer_from: str | None) -> AnyTokenizer:
    """The acoustic model's tokenizer when given (the LM must predict its ids), else the config's
    tokenizer file, else one built from the text."""
    if tokenizer_from:
        loaded = load_model_file(tokenizer_from)
        return loaded.require((*ACOUSTIC_KINDS, "lstm_lm"), tokenizer_from, "lend its tokens to a language model").tokenizer
    return training_tokenizer(cfg.tokenizer, texts)


def train_lm(cfg: Config, text_paths: Sequence[str | Path], out: str | Path,
             tokenizer_from: str | None = None) -> Trained:
    """Train an LSTM LM as cfg.lm says; writes the model file `out` (logs and checkpoints beside it, in
    OUT_training/) and returns it with the number of text lines left out (not UTF-8)."""
    out = Path(out)
    trained = run_training(lambda: _prepare(cfg, text_paths, tokenizer_from), cfg.train.seed,
                           out.parent / f"{out.stem}_training", out)
    if trained.info["best_val_loss"] is not None:
        print(f"held-out perplexity per token {trained.info['best_val_perplexity']:.2f}")
    return trained


def _prepare(cfg: Config, text_paths: Sequence[str | Path], tokenizer_from: str | None) -> Prepared:
    """Sentences (a held-out share for the best epoch), the tokenizer and the model, in a text task."""
    problems: list[str] = []
    texts = read_texts(text_paths, cfg.lm.max_sentences, cfg.train.seed, problems)
    report_left_out(problems, "text")
    tokenizer = lm_tokenizer(cfg, texts, tokenizer_from)
    if tokenizer.eos_id is None:
        raise UserError(f"{tokenizer_from} was written before tokenizers had a sentence symbol: retrain it")
    # int32 arrays: a python list of ints takes 8 times the memory, too much for millions of sentences
    seqs = [np.asarray(s, dtype=np.int32) for s in (tokenizer.encode(t) for t in texts) if s]
    del texts
    if not seqs:
        raise UserError("none of the text is made of the model's tokens")
    random.Random(cfg.train.seed).shuffle(seqs)
    n_dev = max(1, int(len(seqs) * cfg.lm.dev_fraction)) if len(seqs) > 1 else 0
    dev, train = (seqs[:n_dev], seqs[n_dev:]) if n_dev else (seqs, seqs)
    try:
        model = build_model("lstm_lm", cfg.lm.model_config(len(tokenizer), tokenizer.eos_id).to_dict(), TRAINING)
    except ValueError as err:
        raise UserError(str(err)) from None
    params = sum(p.numel() for p in model.parameters())
    print(f"language model: {cfg.lm.layers}x{cfg.lm.hidden} LSTM, {params / 1e6:.2f} M parameters, "
          f"{len(train)} training / {len(dev)} held-out sentences, {len(tokenizer)} tokens")
    train_cfg = dataclasses.replace(cfg.train, max_epochs=cfg.lm.max_epochs, max_minutes=cfg.lm.max_minutes,
                                    lr=cfg.lm.lr)
    return Prepared(TextTask(model, train_cfg), TextDataModule(train, dev, cfg.lm.batch_size, cfg.train.seed),
                    train_cfg, "val_loss", None, tokenizer,
                    {"config": dataclasses.asdict(cfg.lm), "sentences": len(train)},
                    lambda best: {"best_val_loss": best,
                                  "best_val_perplexity": math.exp(best) if best is not None else None}, problems)
