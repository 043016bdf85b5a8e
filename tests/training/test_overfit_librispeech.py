"""The training loop learns real speech: a model overfits 16 LibriSpeech utterances."""

import json
from pathlib import Path

from asr.cli.main import main
from asr.data.librispeech import prepare_librispeech
from asr.data.manifest import read_manifest, write_manifest


def test_overfits_sixteen_librispeech_utterances(librispeech_subset: Path, tmp_path: Path, capsys):
    reports = prepare_librispeech(librispeech_subset.parent, tmp_path / "manifests")
    utterances = read_manifest(tmp_path / "manifests" / "dev-clean-2.jsonl")
    assert reports["dev-clean-2"].written == len(utterances) == 132
    # the 16 shortest (1.5-2.8 s, 39 s in all) keep this test to about a minute on 2 cores
    sixteen = sorted(utterances, key=lambda u: u.duration)[:16]
    write_manifest(tmp_path / "sixteen.jsonl", sixteen)
    manifest = str(tmp_path / "sixteen.jsonl")
    assert main(["train", "--out", str(tmp_path / "exp"), "--data.train", manifest, "--data.dev", manifest,
                 "--specaugment.freq_masks", "0", "--specaugment.time_masks", "0",
                 "--model.hidden", "256", "--model.layers", "3", "--model.dropout", "0.0",
                 "--train.lr", "0.003", "--train.warmup_steps", "20", "--train.final_lr_ratio", "0.3",
                 "--train.max_epochs", "80", "--data.max_batch_seconds", "10"]) == 0
    out = tmp_path / "hyps.jsonl"
    assert main(["evaluate", "--model", str(tmp_path / "exp" / "model.pt"), manifest, "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    chars = sum(len(r["ref"]) for r in rows)
    cer = sum(r["cer"] * len(r["ref"]) for r in rows) / chars
    assert cer <= 0.05, cer
