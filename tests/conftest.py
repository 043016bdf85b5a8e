"""Fixtures shared by every test folder: the real-speech corpora (../shared/data, else the sample in tests/assets) and
small digit models trained on them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf

# ../shared/data beside the repository: recorded speech, read-only (see its README.md).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# A sample of the same two corpora inside the repository (tests/assets/README.md): what a clone alone tests on.
SAMPLE_DATA = Path(__file__).resolve().parent / "assets"


@dataclass(frozen=True)
class Corpus:
    """A real-speech corpus folder and what it holds, for tests that count."""

    path: Path
    utterances: int
    speakers: int
    takes: int = 0  # FSDD: takes of each digit by each speaker, numbered 0 to takes - 1
    sample: bool = False  # the in-repository sample rather than ../shared/data


def _shared_or_sample(shared: Corpus, sample: Corpus) -> Corpus:
    """`shared` when ../shared/data holds it, else the sample shipped in tests/assets."""
    return shared if shared.path.is_dir() else sample


LIBRISPEECH = _shared_or_sample(
    Corpus(SHARED_DATA / "librispeech" / "LibriSpeech" / "dev-clean-2", utterances=132, speakers=18),
    Corpus(SAMPLE_DATA / "librispeech" / "LibriSpeech" / "dev-clean-2", utterances=16, speakers=6, sample=True))
FSDD = _shared_or_sample(
    Corpus(SHARED_DATA / "fsdd" / "recordings", utterances=2000, speakers=4, takes=50),
    Corpus(SAMPLE_DATA / "fsdd" / "recordings", utterances=600, speakers=4, takes=15, sample=True))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave out the scripts that tests run in subprocesses (training/kill_during_save.py, ...): with
    --doctest-modules every .py file would be imported, and they read their settings at import."""
    name = collection_path.name
    if collection_path.suffix == ".py" and not (name.startswith("test_") or name in ("conftest.py", "__init__.py")):
        return True
    return None


@pytest.fixture(scope="session")
def librispeech_corpus() -> Corpus:
    """Mini LibriSpeech dev-clean-2: all 132 utterances (18 speakers) from ../shared, else the 16 shortest."""
    return LIBRISPEECH


@pytest.fixture(scope="session")
def librispeech_subset(librispeech_corpus: Corpus) -> Path:
    """The dev-clean-2 folder of `librispeech_corpus`, in LibriSpeech's layout (SPEAKER/CHAPTER/...)."""
    return librispeech_corpus.path


@pytest.fixture(scope="session")
def fsdd_corpus() -> Corpus:
    """Free Spoken Digit Dataset, 8 kHz, 4 speakers: 50 takes of each digit from ../shared, else takes 0-14."""
    return FSDD


@pytest.fixture(scope="session")
def fsdd_recordings(fsdd_corpus: Corpus) -> Path:
    """The recordings/ folder of `fsdd_corpus`: DIGIT_SPEAKER_TAKE.wav."""
    return fsdd_corpus.path


@pytest.fixture(scope="session")
def digit_manifests(fsdd_corpus: Corpus, tmp_path_factory) -> Path:
    """FSDD split for fast training, all four speakers: takes 0-4 test (200 recordings), 5-7 dev, the rest train
    (1680); on the 15-take sample 5-6 dev, 7-14 train (320)."""
    from asr.data.fsdd import FsddSplit, prepare_fsdd_splits

    out = tmp_path_factory.mktemp("fsdd")
    dev = (5, 6) if fsdd_corpus.sample else (5, 6, 7)
    prepare_fsdd_splits(fsdd_corpus.path, out, FsddSplit(test_takes=(0, 1, 2, 3, 4), dev_takes=dev))
    return out


@pytest.fixture(scope="session")
def digit_training_args(digit_manifests: Path, fsdd_corpus: Corpus, tmp_path_factory) -> list[str]:
    """`asr train` arguments for a small word-level BiLSTM-CTC digit recogniser (about 30 s on 2 cores).

    Each option appears once, so `args[args.index("--train.max_epochs") + 1]` is the number of epochs."""
    out = tmp_path_factory.mktemp("digit_model")
    args = ["train", "--out", str(out),
            "--data.train", str(digit_manifests / "train.jsonl"), "--data.dev", str(digit_manifests / "dev.jsonl"),
            "--features.sample_rate", "8000", "--features.kind", "mfcc", "--features.n_mfcc", "13",
            "--features.n_fft", "256", "--features.n_mels", "40", "--features.normalize", "utterance",
            "--tokenizer.kind", "word", "--model.hidden", "128", "--model.layers", "2", "--model.dropout", "0.1",
            "--specaugment.time_masks", "0", "--specaugment.freq_masks", "0",
            "--train.max_epochs", "20", "--train.lr", "0.003", "--train.warmup_steps", "50"]
    if fsdd_corpus.sample:
        # 320 training takes fill 5 batches of 64 an epoch, against the full corpus's 27 (540 updates in 20
        # epochs, 98.5% of the test takes right); batches of 16 for 30 epochs are 600 updates: 95% (20: 93%).
        args = _with_overrides(args, out, {"--data.max_batch_size": "16", "--train.max_epochs": "30"})
    return args


@pytest.fixture(scope="session")
def digit_model(digit_training_args: list[str]) -> Path:
    """The model file of `digit_training_args`, trained once per test session through `asr train`."""
    from asr.cli.main import main

    assert main(digit_training_args) == 0
    return Path(digit_training_args[2]) / "model.pt"


@pytest.fixture(scope="session")
def digit_stream_model(digit_training_args: list[str], tmp_path_factory) -> Path:
    """A digit recogniser that can stream: a BiLSTM latency-controlled to 0.3 s chunks and 0.15 s of right
    context over running-normalised features, trained on the digit features of `digit_training_args`. (A
    unidirectional one learns to name the digit on its first frame: these recordings hold one word each.)"""
    from asr.cli.main import main

    out = tmp_path_factory.mktemp("digit_stream_model")
    args = _with_overrides(digit_training_args, out, {"--features.normalize": "running",
                                                      "--model.chunk_frames": "30",
                                                      "--model.right_context_frames": "15",
                                                      "--train.max_epochs": "10"})
    assert main(args) == 0
    return out / "model.pt"


def _with_overrides(args: list[str], out: Path, overrides: dict[str, str]) -> list[str]:
    """`asr train` arguments `args` (train --out X, then --key value pairs) writing to `out`, with `overrides`."""
    pairs = dict(zip(args[3::2], args[4::2]))
    pairs.update(overrides)
    return ["train", "--out", str(out), *(s for pair in pairs.items() for s in pair)]


@pytest.fixture(scope="session")
def digit_joint_model(digit_training_args: list[str], fsdd_corpus: Corpus, tmp_path_factory) -> Path:
    """A small joint CTC/attention digit model over characters, trained once per session through `asr train`
    on the digit features of `digit_training_args` (1-2 minutes on 2 cores; ~8.5% WER on the test takes)."""
    from asr.cli.main import main

    out = tmp_path_factory.mktemp("digit_joint_model")
    # the full corpus's 6 epochs are 160 updates; on the sample, 12 epochs of batches of 16 are 240: 8.5% WER
    epochs = "12" if fsdd_corpus.sample else "6"
    args = _with_overrides(digit_training_args, out, {
        "--tokenizer.kind": "char", "--model.kind": "joint", "--model.hidden": "96", "--model.layers": "2",
        "--model.dropout": "0.1", "--model.decoder_hidden": "96", "--model.attention_dim": "64",
        "--model.embed_dim": "32", "--train.max_epochs": epochs, "--train.lr": "0.003", "--train.warmup_steps": "50"})
    assert main(args) == 0
    return out / "model.pt"


@pytest.fixture(scope="session")
def digit_lm_batching(fsdd_corpus: Corpus) -> list[str]:
    """`asr lm train` options for a language model of the digit training transcripts. The full corpus's 1596
    sentences (less the held-out 5%) make 25 batches of 64 an epoch; the sample's 304 make 5, and ten epochs of
    them leave the character LM of `digit_lm` at perplexity 9.7: batches of 16 (19 an epoch) reach 1.6."""
    return ["--lm.batch_size", "16"] if fsdd_corpus.sample else []


@pytest.fixture(scope="session")
def digit_lm(digit_joint_model: Path, digit_manifests: Path, digit_lm_batching: list[str], tmp_path_factory) -> Path:
    """A small character LSTM LM over the digit training transcripts, on `digit_joint_model`'s tokens (`asr lm train`,
    a few seconds). At lr 0.01 ten epochs reach a held-out perplexity of ~1.6 per token (5 epochs at 0.002: ~5.9)."""
    from asr.cli.main import main

    out = tmp_path_factory.mktemp("digit_lm") / "lm.pt"
    assert main(["lm", "train", str(digit_manifests / "train.jsonl"), "--out", str(out),
                 "--tokenizer", str(digit_joint_model), "--lm.hidden", "64", "--lm.layers", "1",
                 "--lm.embed_dim", "32", "--lm.max_epochs", "10", "--lm.lr", "0.01", *digit_lm_batching]) == 0
    return out


SPOKEN_WORDS = ["apple", "river", "seven", "window", "garden", "yellow", "morning", "table"]
SPOKEN_VOICES = ["en-us+m1", "en-us+f2", "en+m3", "en-us+f4", "en+m7", "en-us+Andrea", "en+f3", "en-us+m4"]


@pytest.fixture(scope="session")
def spoken_words(tmp_path_factory) -> Path:
    """8 words x 8 espeak-ng voices, one wav each, with a noise floor: train.jsonl (six voices) and dev.jsonl
    (two). Skipped without espeak-ng (scripts/setup.sh installs it)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (scripts/setup.sh)")
    from asr.data.synth.tts import SAMPLE_RATE, add_noise_floor, speak

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


# Compressed formats the audio readers take, each made at test time from a real recording: by libsndfile
# (soundfile) for the first three, by ffmpeg for the rest (their tests skip when no ffmpeg is found).
SNDFILE_FORMATS = {"mp3": ("MP3", "MPEG_LAYER_III"), "ogg": ("OGG", "VORBIS"), "opus": ("OGG", "OPUS")}
FFMPEG_FORMATS = {"m4a": ["-c:a", "aac"], "webm": ["-c:a", "libopus"]}


@pytest.fixture(scope="session")
def encode_audio():
    """A function (wav, out) -> out: the recording `wav` re-encoded in the format that `out`'s suffix names."""
    import subprocess

    from asr.data.ffmpeg_audio import find_ffmpeg

    def encode(wav: Path, out: Path) -> Path:
        kind = out.suffix.lstrip(".")
        if kind in SNDFILE_FORMATS:
            audio, rate = sf.read(wav, dtype="float32")
            fmt, subtype = SNDFILE_FORMATS[kind]
            sf.write(out, audio, rate, format=fmt, subtype=subtype)
            return out
        ffmpeg = find_ffmpeg()
        if ffmpeg is None:
            pytest.skip("no ffmpeg on PATH nor imageio-ffmpeg (the `test` extra installs it)")
        subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(wav), *FFMPEG_FORMATS[kind], str(out)],
                       check=True)
        return out

    return encode
