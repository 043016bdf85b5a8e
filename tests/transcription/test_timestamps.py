"""Word and token times from CTC alignment, on hand-built log-probs: grouping tokens into words for
every tokenizer kind, frame-to-second conversion, and words without times where there is no CTC head."""

from __future__ import annotations

import pytest
import torch

from asr.data.synth.sentences import generate_sentences
from asr.text.tokenizer import Tokenizer, build_tokenizer
from asr.transcription.timestamps import FrameClock, timed_words, word_groups

CHARS = Tokenizer("char", ("<blank>", "|", "a", "b", "<sos/eos>"))
CLOCK = FrameClock(sample_rate=16000, frame_samples=480, boundary_offset=120)  # 30 ms frames, 25/10 ms windows


def log_probs(path: list[int], vocab: int = 5, p: float = 0.9) -> torch.Tensor:
    """(frames, vocab) log-probs that put `p` on the given token at each frame, the rest spread evenly."""
    probs = torch.full((len(path), vocab), (1 - p) / (vocab - 1))
    probs[torch.arange(len(path)), torch.tensor(path)] = p
    return probs.log()


def test_words_are_split_at_the_separator_and_timed_by_their_tokens_frames():
    # frames: blank a a blank | b blank blank a blank  ->  "aa" is one token a (no blank between), then b, then a
    lp = log_probs([0, 2, 2, 0, 1, 3, 0, 0, 2, 0])
    words, tokens = timed_words(lp, [2, 1, 3, 2], CHARS, CLOCK, samples=10 * 480 + 240)
    assert [w.word for w in words] == ["a", "ba"]
    a, ba = words
    assert a.start == CLOCK.seconds(1, 10, 4800) == pytest.approx((480 + 120) / 16000)
    assert a.end == CLOCK.seconds(3, 10, 4800)
    assert ba.start == CLOCK.seconds(5, 10, 4800) and ba.end == CLOCK.seconds(9, 10, 4800)
    assert a.confidence == pytest.approx(0.9) and ba.confidence == pytest.approx(0.9)
    assert [t.token for t in tokens] == ["a", "b", "a"]  # the separator is no token
    assert [(t.start, t.end) for t in tokens] == [(a.start, a.end), (ba.start, CLOCK.seconds(6, 10, 4800)),
                                                  (CLOCK.seconds(8, 10, 4800), ba.end)]


def test_times_are_offset_into_the_recording_and_clipped_to_the_audio():
    lp = log_probs([2, 0, 3])
    words, _ = timed_words(lp, [2, 1, 3], CHARS, CLOCK, samples=1200, offset=60.0)
    assert [(w.word, w.start, w.end) for w in words] == [("a", 60.0, 60.0 + 600 / 16000),
                                                          ("b", 60.0 + 1080 / 16000, 60.0 + 1200 / 16000)]


def test_blank_and_end_symbols_in_decoded_ids_are_ignored():
    lp = log_probs([2, 0, 3])
    assert timed_words(lp, [2, 4, 1, 0, 3], CHARS, CLOCK, 1440)[0] == timed_words(lp, [2, 1, 3], CHARS, CLOCK, 1440)[0]


def test_without_a_ctc_head_or_enough_frames_words_come_without_times():
    for lp in (None, log_probs([2])):  # no CTC head; one frame for three tokens
        words, tokens = timed_words(lp, [2, 1, 3, 2], CHARS, CLOCK, 480)
        assert [(w.word, w.start, w.end, w.confidence) for w in words] == [("a", None, None, None),
                                                                            ("ba", None, None, None)]
        assert tokens == []


def test_word_tokenizers_make_a_word_of_every_token():
    words = Tokenizer("word", ("<blank>", "<unk>", "one", "two", "<sos/eos>"))
    assert word_groups([2, 3, 2], words) == [[0], [1], [2]]


def test_sentencepiece_words_start_at_pieces_with_the_word_mark():
    tokenizer = build_tokenizer("bpe", generate_sentences(200, seed="timestamps"), vocab_size=80)
    text = "seven rivers every sunday"
    ids = tokenizer.encode(text)
    groups = word_groups(ids, tokenizer)
    assert [tokenizer.decode([ids[p] for p in g]) for g in groups] == text.split()
    assert sum(len(g) for g in groups) == len(ids) and len(ids) > 4  # every piece in a word; some words in pieces


def test_the_clock_puts_boundaries_between_feature_windows():
    # frame j starts at j * 480 samples; its window overlaps the previous frame's by 240 samples: the middle is +120
    assert CLOCK.seconds(0, 10, 4800) == 0.0
    assert CLOCK.seconds(2, 10, 4800) == (960 + 120) / 16000
    assert CLOCK.seconds(10, 10, 4700) == 4700 / 16000  # after the last frame: the end of the audio
