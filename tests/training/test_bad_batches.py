"""A batch whose loss is NaN or infinite is skipped with a warning and a count, and training goes on;
when most batches are bad, training stops with one line instead of learning nothing."""

import csv
import math
from pathlib import Path

import pytest
import torch

from asr.cli.main import main
from asr.models.ctc_model import CTCModel

ARGS = ["--tokenizer.kind", "word", "--features.kind", "mfcc", "--features.n_mfcc", "13", "--model.hidden", "32",
        "--model.layers", "1", "--data.max_batch_size", "6", "--train.max_epochs", "3", "--train.threads", "1",
        "--train.warmup_steps", "5", "--train.log_every", "1"]


def _poison(monkeypatch, every: int) -> None:
    """Make every `every`-th training loss NaN (or infinite), as a broken batch would."""
    real, calls = CTCModel.loss, []

    def loss(self, *args, **kwargs):
        value, parts = real(self, *args, **kwargs)
        if self.training:
            calls.append(1)
            if len(calls) % every == 0:
                bad = torch.tensor(math.nan if len(calls) // every % 2 else math.inf)  # nan, inf, nan, ...
                value = value * bad  # still part of the graph, as a real NaN would be
        return value, parts

    monkeypatch.setattr(CTCModel, "loss", loss)


def _train(spoken_words: Path, out: Path) -> int:
    return main(["train", "--out", str(out), "--data.train", str(spoken_words / "train.jsonl"),
                 "--data.dev", str(spoken_words / "dev.jsonl"), *ARGS])


def test_a_bad_batch_is_skipped_and_training_goes_on(spoken_words: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    _poison(monkeypatch, every=4)
    assert _train(spoken_words, tmp_path / "run") == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "skipped it" in line]
    assert len(warnings) == 6, err[-2000:]  # 24 steps, every 4th bad
    assert "the loss is nan" in warnings[0] and "the loss is inf" in warnings[1] and "6 of 24" in warnings[-1]
    with open(tmp_path / "run" / "logs" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    losses = [float(r["train_loss"]) for r in rows if r.get("train_loss")]
    assert len(losses) == 24 and sum(math.isfinite(x) for x in losses) == 18  # the log shows the skipped NaNs
    dev = [float(r["val_loss"]) for r in rows if r.get("val_loss")]
    assert all(math.isfinite(x) for x in dev) and (tmp_path / "run" / "model.pt").is_file()


def test_training_stops_in_one_line_when_most_batches_are_bad(spoken_words: Path, tmp_path: Path, monkeypatch,
                                                              capsys) -> None:
    _poison(monkeypatch, every=1)
    assert _train(spoken_words, tmp_path / "run") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("asr: error: 10 of 10 training batches had a NaN or infinite loss: training stopped "
                       "(lower train.lr, or check the data and features)")
    assert not (tmp_path / "run" / "model.pt").exists()
