"""End-to-end training through `asr train` on real recorded digits (FSDD)."""

import csv
import json
from pathlib import Path

import pytest
import torch

from asr.cli.main import main
from asr.errors import UserError
from asr.model_file import load_model_file


def test_training_leaves_model_logs_checkpoints_and_curve(digit_model: Path, digit_training_args: list[str]):
    exp = digit_model.parent
    epochs = int(digit_training_args[digit_training_args.index("--train.max_epochs") + 1])
    for name in ["model.pt", "learning_curve.png", "logs/metrics.csv", "checkpoints/last.ckpt"]:
        assert (exp / name).is_file(), name
    assert len(list((exp / "checkpoints").glob("best-step=*.ckpt"))) == 1
    with open(exp / "logs" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    cers = [float(r["val_cer"]) for r in rows if r.get("val_cer")]
    assert len(cers) == epochs  # validated once per epoch
    assert min(cers) < 0.5 * cers[0]  # and it learned
    loaded = load_model_file(digit_model)
    assert loaded.tokenizer.kind == "word" and "seven" in loaded.tokenizer.symbols
    assert loaded.features.cfg.sample_rate == 8000 and loaded.features.cfg.kind == "mfcc"
    assert loaded.info["best_val_cer"] == pytest.approx(min(cers))


def test_digit_model_recognises_held_out_takes(digit_model: Path, digit_manifests: Path, tmp_path, capsys):
    out = tmp_path / "hyps.jsonl"
    assert main(["evaluate", "--model", str(digit_model), str(digit_manifests / "test_takes.jsonl"),
                 "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 200 and set(rows[0]) == {"id", "ref", "hyp", "wer", "cer"}
    accuracy = sum(r["hyp"] == r["ref"] for r in rows) / len(rows)
    assert accuracy >= 0.9, accuracy
    assert "WER" in capsys.readouterr().out


def test_rerun_resumes_instead_of_starting_over(digit_model: Path, digit_training_args: list[str]):
    """The finished run's newest checkpoint is picked up: no epoch is trained again."""
    before = load_model_file(digit_model).info["steps"]
    assert main(digit_training_args) == 0
    assert load_model_file(digit_model).info["steps"] == before


def test_loading_a_model_file_never_runs_code_from_it(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    evil = tmp_path / "evil.pt"
    torch.save({"format": "asr-ctc-model/1", "state_dict": Payload()}, evil)
    with pytest.raises(UserError, match="not a readable model file"):
        load_model_file(evil)
    assert not marker.exists()


def test_missing_manifest_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path), "--data.train", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("asr: error:") and "nope.jsonl" in err and len(err.splitlines()) == 1


def test_training_leaves_out_transcripts_lost_in_normalisation(fsdd_recordings, tmp_path, capsys):
    from asr.data.manifest import Utterance, write_manifest
    from asr.training.acoustic import build_setup
    from asr.training.config import load_config

    takes = [f"{digit}_{speaker}_{take}.wav" for digit in (1, 2) for speaker in ("theo", "jackson") for take in (0, 1)]
    words = {1: "one", 2: "two"}
    rows = [Utterance(t[:-4], str(fsdd_recordings / t), 0.5, words[int(t[0])], t.split("_")[1]) for t in takes]
    rows[1] = Utterance(rows[1].id, rows[1].audio, 0.5, "一", "theo")  # Chinese: normalises to nothing
    rows[5] = Utterance(rows[5].id, rows[5].audio, 0.5, "two 二二二二", "theo")  # mostly lost: not "two"
    write_manifest(tmp_path / "train.jsonl", rows)
    write_manifest(tmp_path / "zh.jsonl", [Utterance(u.id, u.audio, 0.5, "一二", u.speaker) for u in rows])
    overrides = ["--data.train", str(tmp_path / "train.jsonl"), "--data.dev", str(tmp_path / "train.jsonl"),
                 "--features.sample_rate", "8000", "--tokenizer.kind", "char", "--model.hidden", "16",
                 "--model.layers", "1"]
    setup = build_setup(load_config(None, overrides))
    assert [e.utt.id for e in setup.train] == [u.id for i, u in enumerate(rows) if i not in (1, 5)]
    out = capsys.readouterr().out
    assert "train: left out of training: 2 utterances whose transcript normalises to nothing or loses most" in out
    assert "0 with no tokens" in out  # the Chinese one is named for what it is, not counted as tokenless

    # nothing left to learn from: one line before any model is built
    assert main(["train", "--out", str(tmp_path / "exp"), *overrides[:1], str(tmp_path / "zh.jsonl"),
                 *overrides[2:]]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"asr: error: train manifest has nothing to learn from: every transcript normalises to nothing "
                   f"or loses most of its letters (the normaliser keeps only Latin letters (accents dropped), digits "
                   f"and apostrophes): {tmp_path / 'zh.jsonl'}")
