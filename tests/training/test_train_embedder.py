"""Audio Word2Vec from a clone alone: isolated words spoken by espeak-ng voices. An sa model and a
cae started from it learn to put instances of one word together (dev same-different AP rises), and
`asr embed` and `asr qbe` run on what they make."""

import csv
from pathlib import Path

import numpy as np
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


def test_voice_changes_reach_the_encoders_input_and_leave_the_target_as_recorded(spoken_words: Path) -> None:
    """Speed (data.speed_perturb) and a formant warp (specaugment.freq_warp) change what the encoder reads
    in training, never what the decoder must write out, and nothing at all outside training."""
    import torch

    from asr.features.frontend import FeatureConfig
    from asr.features.pipeline import FeaturePipeline
    from asr.models.rnn_encoder import EncoderConfig
    from asr.models.seq_autoencoder import SeqAutoencoder, SeqAutoencoderConfig
    from asr.training.augmentation import WaveAugmentation
    from asr.training.config import TrainConfig
    from asr.training.data import Example
    from asr.training.embedder import EmbedderTask, SegmentPairDataset, collate_pairs

    examples = [Example(u, []) for u in read_manifest(spoken_words / "train.jsonl")[:4]]
    rate = 16000
    fast = SegmentPairDataset(examples, rate, seed=0, augment=WaveAugmentation(rate, speeds=(1.5,)))
    plain = SegmentPairDataset(examples, rate, seed=0)
    for i in range(len(examples)):
        wave, target, _, _, _ = fast[i]
        assert abs(len(wave) - len(target) / 1.5) < 0.01 * len(target)
        assert torch.equal(target, plain[i][1]) and len(plain[i][0]) == len(target)

    features = FeaturePipeline(FeatureConfig(kind="mfcc", n_mfcc=13, normalize="utterance"))
    model = SeqAutoencoder(SeqAutoencoderConfig(vector_dim=8, decoder_hidden=16,
                                                encoder=EncoderConfig(input_dim=features.dim, hidden=16, layers=1)))
    batch = collate_pairs([plain[i] for i in range(len(examples))])
    warped = EmbedderTask(model, features, None, TrainConfig(), freq_warp=0.2)
    feats, _, target, _ = warped.loss_inputs(batch, train=True)
    clean, _, clean_target, _ = warped.loss_inputs(batch, train=False)
    unwarped = EmbedderTask(model, features, None, TrainConfig()).loss_inputs(batch, train=True)[0]
    assert torch.equal(target, clean_target) and torch.equal(unwarped, clean)
    assert (feats - clean).abs().mean() > 0.05 * clean.abs().mean()


def test_the_speaker_adversary_reverses_its_gradient_and_stays_out_of_the_model_file(
        spoken_words: Path, tmp_path: Path) -> None:
    import torch

    from asr.model_file import load_model_file
    from asr.training.embedder import SpeakerAdversary

    adversary = SpeakerAdversary(4, ["b", "a", "b"], weight=0.5)
    vectors = torch.randn(3, 4, requires_grad=True)
    adversary(vectors, ["a", "b", "b"]).backward()
    reversed_grad = vectors.grad.clone()
    vectors.grad = None
    plain = torch.nn.functional.cross_entropy(adversary.classify(vectors), torch.tensor([0, 1, 1]))
    plain.backward()
    assert torch.allclose(reversed_grad, -0.5 * vectors.grad)

    out = tmp_path / "sa"
    assert main(["train", "--out", str(out), "--model.kind", "sa", "--data.train", str(spoken_words / "train.jsonl"),
                 "--data.dev", str(spoken_words / "dev.jsonl"), *SMALL, "--train.max_epochs", "3",
                 "--model.speaker_adversary", "1.0"]) == 0
    speaker_loss = _dev(out, "train_speaker")
    assert speaker_loss and all(np.isfinite(speaker_loss))
    loaded = load_model_file(out / "model.pt")
    assert not any("adversary" in name for name in loaded.model.state_dict())
    assert loaded.model.cfg.speaker_adversary == 1.0
