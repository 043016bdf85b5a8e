"""Audio Word2Vec from a clone alone: isolated words spoken by espeak-ng voices. An sa model and a
cae started from it learn to put instances of one word together (dev same-different AP rises), and
`asr embed` and `asr qbe` run on what they make."""

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from asr.cli.main import main
from asr.data.manifest import read_manifest

SMALL = ["--model.hidden", "48", "--model.layers", "1", "--model.vector_dim", "32", "--model.decoder_hidden", "48",
         "--model.dropout", "0.0", "--model.stack", "1", "--features.kind", "mfcc", "--features.n_mfcc", "13",
         "--features.normalize", "utterance", "--data.max_batch_size", "8", "--train.lr", "0.01",
         "--train.warmup_steps", "5"]


def _dev(exp: Path, key: str) -> list[float]:
    with open(exp / "logs" / "metrics.csv") as f:
        return [float(r[key]) for r in csv.DictReader(f) if r.get(key)]


def test_sa_then_cae_learn_words_and_embed_and_qbe_read_them(spoken_words: Path, tmp_path: Path, capsys) -> None:
    data = ["--data.train", str(spoken_words / "train.jsonl"), "--data.dev", str(spoken_words / "dev.jsonl")]
    sa, cae = tmp_path / "sa", tmp_path / "cae"
    assert main(["train", "--out", str(sa), "--model.kind", "sa", *data, *SMALL, "--train.max_epochs", "60"]) == 0
    assert main(["train", "--out", str(cae), "--model.kind", "cae", "--model.init_from", str(sa / "model.pt"),
                 *data, *SMALL, "--train.max_epochs", "60"]) == 0
    sa_loss, cae_ap = _dev(sa, "val_loss"), _dev(cae, "val_ap")
    # the sa learned to reconstruct unseen voices' words; the cae to put two voices' instances of a word
    # together (8 same-word pairs among 120: random vectors score about 0.07)
    assert sa_loss[-1] < 0.9 * sa_loss[0], sa_loss
    assert max(cae_ap) > 0.25, cae_ap
    assert (cae / "learning_curve.png").is_file()

    out = tmp_path / "vectors"
    capsys.readouterr()
    assert main(["embed", "--model", str(cae / "model.pt"), "--manifest", str(spoken_words / "dev.jsonl"),
                 "--out", str(out)]) == 0
    vectors = np.load(f"{out}.npy")
    index = read_manifest(f"{out}.jsonl")  # the index is a manifest, line N for row N
    dev = read_manifest(spoken_words / "dev.jsonl")
    assert vectors.shape == (16, 32) and [u.id for u in index] == [u.id for u in dev]
    dev_words = {u.text for u in dev}
    assert len(dev_words) == 8 and {u.text for u in index} == dev_words
    assert main(["qbe", "--vectors", f"{out}.npy", "--index", f"{out}.jsonl", "--dtw", str(cae / "model.pt"),
                 "--map", str(tmp_path / "map.png")]) == 0
    printed = capsys.readouterr().out
    assert "vectors" in printed and "DTW" in printed and (tmp_path / "map.png").is_file()


def test_embed_is_the_same_for_another_rate_and_channel_count_and_skips_bad_files(
        spoken_words: Path, tmp_path: Path, capsys) -> None:
    sa = tmp_path / "sa"
    assert main(["train", "--out", str(sa), "--model.kind", "sa", "--data.train", str(spoken_words / "train.jsonl"),
                 "--data.dev", str(spoken_words / "dev.jsonl"), *SMALL, "--train.max_epochs", "3"]) == 0
    original = spoken_words / "garden_6.wav"
    audio, rate = sf.read(original, dtype="float32")
    copy = tmp_path / "garden 44k1 three channels.wav"
    sf.write(copy, np.repeat(soxr.resample(audio, rate, 44100)[:, None], 3, axis=1), 44100)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wav")
    out = tmp_path / "v"
    capsys.readouterr()
    assert main(["embed", "--model", str(sa / "model.pt"), str(original), str(broken), str(copy),
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.wav" in err
    vectors = np.load(f"{out}.npy")
    index = read_manifest(f"{out}.jsonl")
    assert [u.audio for u in index] == [str(original.resolve()), str(copy.resolve())] and vectors.shape[0] == 2
    assert [u.id for u in index] == [original.stem, copy.stem] and not index[0].is_segment
    a, b = vectors
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) >= 0.99
    # a model that makes no vectors is refused in one line
    assert main(["embed", "--model", "tests/assets/v1_model/digits_v1.pt", str(original), "--out", str(out)]) == 2
    assert "cannot embed" in capsys.readouterr().err
