"""bf16 mixed precision, as the 100 h and 960 h configs train on GPUs, runs the same training here on
the CPU (autocast bf16): losses stay finite, the model learns, and its file holds float32 weights."""

import csv
import math
from pathlib import Path

import torch

from asr.cli.main import main
from asr.model_file import load_model_file

ARGS = ["--tokenizer.kind", "word", "--features.kind", "mfcc", "--features.n_mfcc", "13", "--model.hidden", "32",
        "--model.layers", "2", "--data.max_batch_size", "6", "--train.max_epochs", "4", "--train.threads", "1",
        "--train.warmup_steps", "5", "--train.log_every", "1", "--train.precision", "bf16-mixed"]


def test_bf16_mixed_precision_trains_and_writes_a_float32_model(spoken_words: Path, tmp_path: Path) -> None:
    out = tmp_path / "bf16"
    assert main(["train", "--out", str(out), "--data.train", str(spoken_words / "train.jsonl"),
                 "--data.dev", str(spoken_words / "dev.jsonl"), *ARGS]) == 0
    with open(out / "logs" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    train = [float(r["train_loss"]) for r in rows if r.get("train_loss")]
    dev = [float(r["val_loss"]) for r in rows if r.get("val_loss")]
    assert len(train) == 32 and all(math.isfinite(x) for x in train)
    assert len(dev) == 4 and dev[-1] < dev[0], dev
    loaded = load_model_file(out / "model.pt")
    assert loaded.info["config"]["train"]["precision"] == "bf16-mixed"
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
