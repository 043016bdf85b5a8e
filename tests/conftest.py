"""Fixtures shared by every test folder: the real-speech corpora and a small trained digit model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf

# ../shared/data beside the repository: recorded speech, read-only (see its README.md).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-speech folder; tests that use it are skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-speech test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def librispeech_subset(shared_data: Path) -> Path:
    """Mini LibriSpeech dev-clean-2 as shipped: 132 utterances, 18 speakers."""
    path = shared_data / "librispeech" / "LibriSpeech" / "dev-clean-2"
    if not path.is_dir():
        pytest.skip(f"LibriSpeech test data not found at {path}")
    return path


@pytest.fixture(scope="session")
def fsdd_recordings(shared_data: Path) -> Path:
    """Free Spoken Digit Dataset: 2000 wavs, 4 speakers, 8 kHz."""
    path = shared_data / "fsdd" / "recordings"
    if not path.is_dir():
        pytest.skip(f"FSDD test data not found at {path}")
    return path


@pytest.fixture(scope="session")
def digit_manifests(fsdd_recordings: Path, tmp_path_factory) -> Path:
    """FSDD split for fast training: takes 0-4 test, 5-7 dev, the rest train (all four speakers)."""
    from asr.data.fsdd import FsddSplit, prepare_fsdd_splits

    out = tmp_path_factory.mktemp("fsdd")
    prepare_fsdd_splits(fsdd_recordings, out, FsddSplit(test_takes=(0, 1, 2, 3, 4), dev_takes=(5, 6, 7)))
    return out


@pytest.fixture(scope="session")
def digit_training_args(digit_manifests: Path, tmp_path_factory) -> list[str]:
    """`asr train` arguments for a small word-level BiLSTM-CTC digit recogniser (about 30 s on 2 cores)."""
    out = tmp_path_factory.mktemp("digit_model")
    return ["train", "--out", str(out),
            "--data.train", str(digit_manifests / "train.jsonl"), "--data.dev", str(digit_manifests / "dev.jsonl"),
            "--features.sample_rate", "8000", "--features.kind", "mfcc", "--features.n_mfcc", "13",
            "--features.n_fft", "256", "--features.n_mels", "40", "--features.normalize", "utterance",
            "--tokenizer.kind", "word", "--model.hidden", "128", "--model.layers", "2", "--model.dropout", "0.1",
            "--specaugment.time_masks", "0", "--specaugment.freq_masks", "0",
            "--train.max_epochs", "20", "--train.lr", "0.003", "--train.warmup_steps", "50"]


@pytest.fixture(scope="session")
def digit_model(digit_training_args: list[str]) -> Path:
    """The model file of `digit_training_args`, trained once per test session through `asr train`."""
    from asr.cli.main import main

    assert main(digit_training_args) == 0
    return Path(digit_training_args[2]) / "model.pt"


def _with_overrides(args: list[str], out: Path, overrides: dict[str, str]) -> list[str]:
    """`asr train` arguments `args` (train --out X, then --key value pairs) writing to `out`, with `overrides`."""
    pairs = dict(zip(args[3::2], args[4::2]))
    pairs.update(overrides)
    return ["train", "--out", str(out), *(s for pair in pairs.items() for s in pair)]


@pytest.fixture(scope="session")
def digit_joint_model(digit_training_args: list[str], tmp_path_factory) -> Path:
    """A small joint CTC/attention digit model over characters, trained once per session through `asr train`
    on the digit features of `digit_training_args` (1-2 minutes on 2 cores; ~8.5% WER on the test takes)."""
    from asr.cli.main import main

    out = tmp_path_factory.mktemp("digit_joint_model")
    args = _with_overrides(digit_training_args, out, {
        "--tokenizer.kind": "char", "--model.kind": "joint", "--model.hidden": "96", "--model.layers": "2",
        "--model.dropout": "0.1", "--model.decoder_hidden": "96", "--model.attention_dim": "64",
        "--model.embed_dim": "32", "--train.max_epochs": "6", "--train.lr": "0.003", "--train.warmup_steps": "50"})
    assert main(args) == 0
    return out / "model.pt"


@pytest.fixture(scope="session")
def digit_lm(digit_joint_model: Path, digit_manifests: Path, tmp_path_factory) -> Path:
    """A small character LSTM LM over the digit training transcripts, on `digit_joint_model`'s tokens (`asr lm train`,
    a few seconds). At lr 0.01 ten epochs reach a held-out perplexity of ~1.6 per token (5 epochs at 0.002: ~5.9)."""
    from asr.cli.main import main

    out = tmp_path_factory.mktemp("digit_lm") / "lm.pt"
    assert main(["lm", "train", str(digit_manifests / "train.jsonl"), "--out", str(out),
                 "--tokenizer", str(digit_joint_model), "--lm.hidden", "64", "--lm.layers", "1",
                 "--lm.embed_dim", "32", "--lm.max_epochs", "10", "--lm.lr", "0.01"]) == 0
    return out


SPOKEN_WORDS = ["apple", "river", "seven", "window", "garden", "yellow", "morning", "table"]
SPOKEN_VOICES = ["en-us+m1", "en-us+f2", "en+m3", "en-us+f4", "en+m7", "en-us+Andrea", "en+f3", "en-us+m4"]


@pytest.fixture(scope="session")
def spoken_words(tmp_path_factory) -> Path:
    """8 words x 8 espeak-ng voices, one wav each, with a noise floor: train.jsonl (six voices) and dev.jsonl
    (two). Skipped without espeak-ng (scripts/setup.sh installs it)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (scripts/setup.sh)")
    from asr.synth.tts import SAMPLE_RATE, add_noise_floor, speak

    root = tmp_path_factory.mktemp("words")
    lines = {"train": [], "dev": []}
    for v, voice in enumerate(SPOKEN_VOICES):
        for w, word in enumerate(SPOKEN_WORDS):
            audio = add_noise_floor(speak(word, voice, 150 + 5 * v, 40 + 3 * v), seed=v * 100 + w)
            path = root / f"{word}_{v}.wav"
            sf.write(path, audio, SAMPLE_RATE)
            split = "dev" if v >= 6 else "train"
            lines[split].append({"id": path.stem, "audio": str(path), "duration": len(audio) / SAMPLE_RATE,
                                 "text": word, "speaker": voice})
    for split, rows in lines.items():
        (root / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root
