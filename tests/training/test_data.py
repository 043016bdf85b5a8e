import dataclasses
import shutil

import pytest
import torch

from asr.data.audio import load_audio
from asr.data.manifest import Utterance, write_manifest
from asr.errors import UserError
from asr.features.augment import add_noise, change_speed
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.text.tokenizer import build_tokenizer
from asr.training.data import (
    Example,
    LengthBucketSampler,
    SpeechDataset,
    Unreadable,
    make_examples,
    measure_cmvn,
    read_transcribed,
)


def test_bucket_sampler_respects_budget_and_covers_everything():
    durations = [1.0 + (i * 7919 % 100) / 10 for i in range(300)]
    sampler = LengthBucketSampler(durations, max_seconds=40.0, max_size=16, shuffle=True, seed=1)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(300))
    for batch in batches:
        longest = max(durations[i] for i in batch)
        assert len(batch) <= 16 and (len(batch) == 1 or longest * len(batch) <= 40.0)
        # similar lengths inside a batch keep padding small
        assert longest - min(durations[i] for i in batch) < 2.5
    again = list(sampler)
    assert again != batches  # a new order each epoch
    assert len(again) == len(batches) == len(sampler)  # the same number of batches: Lightning counts once


def test_bucket_sampler_is_deterministic_without_shuffle():
    durations = [3.0, 1.0, 2.0, 5.0]
    a = list(LengthBucketSampler(durations, 6.0, 8, shuffle=False))
    assert a == list(LengthBucketSampler(durations, 6.0, 8, shuffle=False)) == [[1, 2], [0], [3]]


def test_make_examples_counts_what_ctc_cannot_learn():
    utts = [Utterance("a", "/a.wav", 2.0, "hello", "s"), Utterance("b", "/b.wav", 0.1, "a long sentence", "s"),
            Utterance("c", "/c.wav", 40.0, "long", "s"), Utterance("d", "/d.wav", 1.0, "!!", "s")]
    tok = build_tokenizer("char", [u.text for u in utts])
    examples, counts = make_examples(utts, tok, lambda seconds: int(seconds * 33), max_duration=30.0)
    assert [e.utt.id for e in examples] == ["a"]
    assert (counts.kept, counts.label_too_long, counts.too_long, counts.empty_label) == (1, 1, 1, 1)
    assert "1 with more tokens than output frames" in counts.summary("train")


@pytest.mark.parametrize("kind", ["char", "word", "bpe", "unigram"])
def test_make_examples_counts_transcripts_the_tokenizer_cannot_write(kind):
    sentences = ["the cat sat on the mat", "a dog ran to the cat", "Don't stop, Café!"] * 20
    tok = build_tokenizer(kind, sentences, vocab_size=30)
    known = [Utterance(f"k{i}", "/k.wav", 2.0, text, "s") for i, text in enumerate(sentences[:3])]
    _, counts = make_examples(known, tok)
    assert counts.unwritable == 0 and "cannot write" not in counts.summary("train")  # no false alarm
    lost = [Utterance("cjk", "/c.wav", 2.0, "the cat 中文", "s"), Utterance("ok", "/o.wav", 2.0, "the mat", "s")]
    if kind == "word":
        lost.append(Utterance("zebra", "/z.wav", 2.0, "the zebra", "s"))  # a word outside the table: <unk>
    _, counts = make_examples(lost, tok)
    assert counts.kept == len(lost) and counts.unwritable == len(lost) - 1
    assert "cjk: 'the cat 中文'" in counts.summary("train")


def test_speed_perturbation_and_noise_on_real_audio(fsdd_recordings):
    wave = load_audio(fsdd_recordings / "4_theo_7.wav", 8000)
    faster = change_speed(wave, 1.1, 8000)
    assert abs(len(faster) - len(wave) / 1.1) <= 2
    assert change_speed(wave, 1.0, 8000) is wave
    torch.manual_seed(0)
    noisy = add_noise(wave, 10.0)
    snr = 10 * torch.log10(wave.pow(2).mean() / (noisy - wave).pow(2).mean())
    assert abs(snr.item() - 10.0) < 0.5


def test_audio_cache_decodes_each_file_once(fsdd_recordings, tmp_path):
    path = tmp_path / "4_theo_7.wav"
    shutil.copy(fsdd_recordings / "4_theo_7.wav", path)
    example = Example(Utterance("x", str(path), 0.5, "four", "theo"), [1, 2])
    cached, plain = SpeechDataset([example], 8000, cache_audio=True), SpeechDataset([example], 8000)
    first = cached[0][0]
    assert first.dtype == torch.float32
    # float16 keeps a 16-bit recording to within 2^-11 of each sample's size
    assert torch.allclose(first, plain[0][0], rtol=2**-10, atol=1e-6)
    path.unlink()  # a second read must come from memory
    assert torch.equal(cached[0][0], first)
    gone = plain[0]  # without the cache every read goes to the file: an Unreadable item, training goes on
    assert isinstance(gone, Unreadable) and "4_theo_7.wav" in gone.reason


def test_ranks_get_disjoint_equal_shares_of_each_epoch_in_the_same_order() -> None:
    durations = [1.0 + (i * 7919 % 97) / 20 for i in range(300)]
    one = LengthBucketSampler(durations, 12.0, 8, shuffle=True, seed=3)
    ranks = [LengthBucketSampler(durations, 12.0, 8, shuffle=True, seed=3, rank=r, num_replicas=3) for r in range(3)]
    for epoch in range(2):
        whole = list(one)
        shares = [list(r) for r in ranks]
        assert all(len(s) == len(whole) // 3 == len(r) for s, r in zip(shares, ranks))
        seen = [i for share in shares for batch in share for i in batch]
        assert len(seen) == len(set(seen))  # disjoint
        assert [b for b in whole[:len(shares[0]) * 3]] == [b for group in zip(*shares) for b in group]
    assert 0 < one.padding_share < 0.2
    with pytest.raises(ValueError, match="rank 3"):
        LengthBucketSampler(durations, 12.0, 8, shuffle=True, rank=3, num_replicas=3)


def test_transcripts_lost_in_normalisation_are_named_and_left_out_of_training(fsdd_recordings, tmp_path, capsys):
    audio = str(fsdd_recordings / "6_jackson_1.wav")
    texts = {"en": "six", "zh": "六", "he": "שש", "en2": "six six", "ru": "шесть", "mixed": "six 六六六六"}
    write_manifest(tmp_path / "train.jsonl", [Utterance(i, audio, 0.5, t, "jackson") for i, t in texts.items()])
    kept = read_transcribed(str(tmp_path / "train.jsonl"), "train")
    assert [u.id for u in kept] == ["en", "en2"]  # "six 六六六六" taught as "six" would teach it wrong
    assert capsys.readouterr().out == (
        "train: left out of training: 4 utterances whose transcript normalises to nothing or loses most of its "
        "letters (e.g. zh '六', he 'שש', ru 'шесть', ...; the normaliser keeps only Latin letters (accents dropped), "
        "digits and apostrophes)\n")

    write_manifest(tmp_path / "dev.jsonl", [Utterance(i, audio, 0.5, "六", "jackson") for i in ("a", "b")])
    with pytest.raises(UserError, match=f"^dev manifest has nothing to learn from: every transcript normalises to "
                                        f"nothing .*: {tmp_path / 'dev.jsonl'}$"):
        read_transcribed(str(tmp_path / "dev.jsonl"), "dev")


def test_running_normalisation_is_measured_with_the_frontend_mean_as_its_prior(fsdd_recordings):
    """'running' keeps the plain frontend's mean as the prior and divides by the deviation of what it gives."""
    utterances = [Utterance(p.stem, str(p), 0.5, "x", "s") for p in sorted(fsdd_recordings.glob("*.wav"))[:12]]
    cfg = FeatureConfig(sample_rate=8000, n_fft=256, n_mels=40, normalize="running")
    measured = measure_cmvn(FeaturePipeline(cfg), utterances, count=12, seed=0)
    plain = measure_cmvn(FeaturePipeline(dataclasses.replace(cfg, normalize="global")), utterances, 12, 0)
    torch.testing.assert_close(measured.mean, plain.mean)  # all 12 are within the prior's sample
    assert (measured.std < plain.std).float().mean() > 0.8  # the mean removed, most bands vary less
    wave = load_audio(utterances[0].audio, 8000)
    feats, _ = measured(wave.unsqueeze(0), None)
    assert feats.std() < 2 and feats.abs().mean() > 0.2
