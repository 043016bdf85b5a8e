"""Training, decoding and the CLI from a clone alone: a small corpus spoken by espeak-ng (installed by
scripts/setup.sh), so these run where ../shared is absent. A CTC and a joint CTC/attention model
learn it, an LSTM LM trains on its text, and every decoder reads the held-out sentences."""

import csv
import json
import shutil
from pathlib import Path

import pytest

from asr.cli.main import main

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (scripts/setup.sh)")

SMALL = ["--model.hidden", "96", "--model.layers", "2", "--model.dropout", "0.0", "--features.normalize", "utterance",
         "--specaugment.freq_masks", "0", "--specaugment.time_masks", "0", "--data.max_batch_seconds", "40",
         "--train.lr", "0.003", "--train.warmup_steps", "20", "--train.max_epochs", "8"]
# the mini recipe's speller (all steps at once); the input-feeding one took this test's joint run to 130 s
ATTENTION = ["--model.decoder_hidden", "96", "--model.attention_dim", "64", "--model.embed_dim", "32",
             "--model.input_feeding", "false", "--model.attention", "dot", "--model.guided_attention", "0.5"]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    assert main(["synth", "--out", str(root / "corpus"), "--train", "300", "--dev", "30", "--test", "30",
                 "--open-vocab", "0", "--natural", "0", "--quiet"]) == 0
    assert main(["prepare", "librispeech", str(root / "corpus"), "--out", str(root / "manifests")]) == 0
    return root / "manifests"


def _dev_losses(exp: Path) -> list[float]:
    with open(exp / "logs" / "metrics.csv") as f:
        return [float(r["val_loss"]) for r in csv.DictReader(f) if r.get("val_loss")]


@pytest.mark.parametrize("kind", ["ctc", "joint"])
def test_a_model_learns_generated_speech_and_every_decoder_reads_it(kind, manifests: Path, tmp_path: Path, capsys):
    exp = tmp_path / kind
    extra = [] if kind == "ctc" else ["--model.kind", "joint", *ATTENTION]
    # CTC learns its tokens first, as a recipe does (asr tokenizer train), and its LM shares the file;
    # the joint model learns them inside training and its LM takes them from the model file
    tokens = tmp_path / "tokenizer.json"
    if kind == "ctc":
        assert main(["tokenizer", "train", str(manifests / "train.jsonl"), "--out", str(tokens)]) == 0
        extra = ["--tokenizer.file", str(tokens)]
    assert main(["train", "--out", str(exp), "--data.train", str(manifests / "train.jsonl"),
                 "--data.dev", str(manifests / "dev.jsonl"), *SMALL, *extra]) == 0
    losses = _dev_losses(exp)
    # it learned, not just ran: over 8 epochs dev loss fell to 0.77 of its first value for joint, further for CTC
    assert len(losses) == 8 and losses[-1] < 0.85 * losses[0], losses
    lm_tokens = ["--tokenizer.file", str(tokens)] if kind == "ctc" else ["--tokenizer", str(exp / "model.pt")]
    assert main(["lm", "train", str(manifests / "train.jsonl"), *lm_tokens, "--out", str(tmp_path / "lm.pt"),
                 "--lm.hidden", "64", "--lm.layers", "1", "--lm.max_epochs", "3"]) == 0
    test = str(manifests / "test.jsonl")
    decoders = [["--decode", "greedy"], ["--decode", "beam", "--beam", "4"],
                ["--decode", "beam", "--beam", "4", "--lm", str(tmp_path / "lm.pt")]]
    if kind == "joint":
        decoders.append(["--ctc-weight", "0", "--beam", "4", "--plot-attention", str(tmp_path / "att")])
    for flags in decoders:
        out = tmp_path / "hyps.jsonl"
        assert main(["evaluate", "--model", str(exp / "model.pt"), test, "--out", str(out), *flags]) == 0, flags
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == 30 and sum(bool(r["hyp"]) for r in rows) >= 15, flags
    capsys.readouterr()
    wav = next((manifests.parent / "corpus").rglob("*.flac"))
    assert main(["transcribe", "--model", str(exp / "model.pt"), str(wav)]) == 0
    assert capsys.readouterr().out.startswith(str(wav))
    if kind == "joint":
        assert len(list((tmp_path / "att").glob("*.png"))) == 30
