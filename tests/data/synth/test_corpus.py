"""A tiny synthetic corpus, really spoken by espeak-ng, in LibriSpeech layout."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.cli import synth as synth_cli
from asr.data.synth import tts
from asr.data.synth.corpus import generate_corpus, plan_texts
from asr.data.synth.natural import NATURAL_SENTENCES
from asr.data.synth.voices import TRAIN_VOICES
from asr.errors import UserError

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
SIZES = dict(n_train=6, n_dev=2, n_test=2, n_open=2, n_natural=2)
UTT_ID = re.compile(r"(\d+)-(\d+)-(\d{4})")


def _transcripts(root: Path, subset: str) -> dict[str, str]:
    """utterance id -> transcript, from every trans.txt of a subset (checking file names)."""
    out = {}
    for trans in sorted((root / subset).glob("*/*/*.trans.txt")):
        speaker, chapter = trans.parent.parent.name, trans.parent.name
        assert trans.name == f"{speaker}-{chapter}.trans.txt"
        for line in trans.read_text().splitlines():
            utt_id, text = line.split(" ", 1)
            assert UTT_ID.fullmatch(utt_id) and utt_id.startswith(f"{speaker}-{chapter}-")
            out[utt_id] = text
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("synth")
    return root, generate_corpus(root, seed=11, workers=2, progress=False, **SIZES)


@needs_espeak
def test_layout_audio_and_transcripts(corpus: tuple[Path, dict]) -> None:
    root, summary = corpus
    counts = {"train": 6, "dev": 2, "test": 2, "test-open": 2, "test-natural": 2}
    for subset, count in counts.items():
        texts = _transcripts(root, subset)
        flacs = {p.stem: p for p in (root / subset).glob("*/*/*.flac")}
        assert set(texts) == set(flacs) and len(texts) == count
        assert summary["subsets"][subset]["utterances"] == count
        for utt_id, text in texts.items():
            assert re.fullmatch(r"[A-Z' ]+", text)
            info = sf.info(flacs[utt_id])
            assert (info.samplerate, info.channels, info.format, info.subtype) == (16000, 1, "FLAC", "PCM_16")
            # espeak-ng at 140-190 wpm: roughly 0.2-0.8 s a word, plus 0.2 s of edges.
            n_words = len(text.split())
            assert 0.15 * n_words + 0.2 < info.duration < 1.0 * n_words + 0.5, (utt_id, info.duration)
            audio, _ = sf.read(flacs[utt_id])
            assert np.abs(audio).max() > 0.05  # speech, not silence


@needs_espeak
def test_subsets_disjoint_and_voices(corpus: tuple[Path, dict]) -> None:
    root, summary = corpus
    train = set(_transcripts(root, "train").values())
    test = set(_transcripts(root, "test").values())
    dev = set(_transcripts(root, "dev").values())
    assert not train & test and not train & dev and not dev & test
    train_speakers = {int(p.name) for p in (root / "train").iterdir()}
    open_speakers = {int(p.name) for p in (root / "test-open").iterdir()}
    assert train_speakers <= {v.speaker for v in TRAIN_VOICES}
    assert not open_speakers & train_speakers
    voices = json.loads((root / "voices.json").read_text())
    assert voices == summary["voices"]
    for speaker in open_speakers:
        assert voices[str(speaker)]["subsets"] == ["test-open"]
    assert {v["sex"] for v in voices.values()} == {"M", "F"}
    # test-natural: the first hand-written sentences, read by test's voices in test's order
    natural = _transcripts(root, "test-natural")
    assert sorted(natural.values()) == sorted(t.upper() for t in NATURAL_SENTENCES[:2])
    test_speakers = sorted(int(u.split("-")[0]) for u in _transcripts(root, "test"))
    assert sorted(int(u.split("-")[0]) for u in natural) == test_speakers
    assert not set(natural.values()) & (train | dev | test)


@needs_espeak
def test_same_seed_same_corpus_whatever_the_workers(corpus: tuple[Path, dict], tmp_path: Path) -> None:
    root, _ = corpus
    generate_corpus(tmp_path, seed=11, workers=1, progress=False, **SIZES)
    for subset in ("train", "dev", "test", "test-open", "test-natural"):
        assert _transcripts(tmp_path, subset) == _transcripts(root, subset)
    for flac in (root / "train").glob("*/*/*.flac"):
        a, _ = sf.read(flac)
        b, _ = sf.read(tmp_path / flac.relative_to(root))
        assert np.array_equal(a, b)


@needs_espeak
def test_rerun_replaces_old_output(tmp_path: Path) -> None:
    generate_corpus(tmp_path, seed=0, n_train=3, n_dev=1, n_test=1, n_open=1, progress=False)
    generate_corpus(tmp_path, seed=1, n_train=2, n_dev=1, n_test=1, n_open=0, progress=False)
    assert len(list((tmp_path / "train").glob("*/*/*.flac"))) == 2
    assert not (tmp_path / "test-open").exists()


@needs_espeak
def test_cli_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    synth_cli.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path), "--train", "2", "--dev", "1", "--test", "1",
                              "--open-vocab", "1", "--quiet"])
    assert synth_cli.run(args) == 0
    out = capsys.readouterr().out
    assert "train" in out and "test-open" in out and "distinct words" in out


def test_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    (tmp_path / "train").mkdir()
    with pytest.raises(UserError):
        generate_corpus(tmp_path, seed=0, n_train=1, n_dev=0, n_test=0, n_open=0, progress=False)
    assert (tmp_path / "train").is_dir()


def test_missing_espeak_is_a_user_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tts, "ESPEAK", "espeak-ng-that-does-not-exist")
    with pytest.raises(UserError, match="espeak-ng"):
        generate_corpus(tmp_path, seed=0, n_train=1, n_dev=0, n_test=0, n_open=0, progress=False)


def test_negative_counts_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        generate_corpus(tmp_path, seed=0, n_train=-1, n_dev=0, n_test=0, n_open=0, progress=False)
    with pytest.raises(UserError, match="natural"):  # more than were written
        plan_texts(0, 1, 0, 0, 0, n_natural=len(NATURAL_SENTENCES) + 1)
