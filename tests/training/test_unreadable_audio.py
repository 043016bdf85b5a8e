"""A training manifest with files whose header reads but whose audio does not (a truncated FLAC, NaN
samples): each is named once, training goes on with the rest, the model is written, and the exit
status says something was left out."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import soundfile as sf

from asr.cli.main import main

ARGS = ["--tokenizer.kind", "word", "--model.hidden", "16", "--model.layers", "1", "--data.max_batch_size", "6",
        "--train.max_epochs", "2", "--train.threads", "1"]


def test_unreadable_files_are_named_once_and_training_goes_on(spoken_words: Path, tmp_path: Path, capsys) -> None:
    rows = [json.loads(line) for line in (spoken_words / "train.jsonl").read_text().splitlines()]
    audio, rate = sf.read(rows[0]["audio"], dtype="float32")
    sf.write(tmp_path / "whole.flac", audio, rate)
    flac = (tmp_path / "whole.flac").read_bytes()
    (tmp_path / "cut.flac").write_bytes(flac[: len(flac) // 3])  # the header still says the full length
    audio[len(audio) // 2] = math.nan
    sf.write(tmp_path / "nan.wav", audio, rate, subtype="FLOAT")
    bad = [{**rows[0], "id": "cut", "audio": str(tmp_path / "cut.flac")},
           {**rows[1], "id": "nan", "audio": str(tmp_path / "nan.wav")}]
    manifest = tmp_path / "train.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows + bad))
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--data.train", str(manifest), "--data.dev",
                 str(spoken_words / "dev.jsonl"), *ARGS]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("asr: ")]
    assert sum("cut.flac: cannot read audio" in line for line in err) == 1
    assert sum("nan.wav: NaN or infinite samples" in line for line in err) == 1
    assert err[-1] == "asr: error: 2 audio files could not be read and were left out of training (named above)"
    assert (out / "model.pt").is_file()
    with open(out / "logs" / "metrics.csv") as f:
        losses = [float(r["val_loss"]) for r in csv.DictReader(f) if r.get("val_loss")]
    assert len(losses) == 2 and np.isfinite(losses).all()  # the NaN file never reached a batch
