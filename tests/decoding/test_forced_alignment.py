"""Forced alignment on hand-built log-probs whose right spans are known."""

import pytest
import torch

from asr.decoding.forced_alignment import TokenSpan, TooLongToAlign, WordSpan, token_spans, word_spans

BLANK, SEP, A, L, B, C = 0, 1, 2, 3, 4, 5  # a character vocabulary: blank, "|", a, l, b, c
VOCAB = 6
_ = BLANK  # a blank frame, one letter wide so that the paths below line up


def _log_probs(path: list[int], vocab: int = VOCAB, peak: float = 0.9) -> torch.Tensor:
    """(frames, vocab) log-probs whose best frame labels are `path`: `peak` on the label, the rest shared."""
    probs = torch.full((len(path), vocab), (1 - peak) / (vocab - 1))
    for t, label in enumerate(path):
        probs[t, label] = peak
    return probs.log()


def test_token_spans_follow_the_best_path():
    lp = _log_probs([_, A, A, _, B, B, B, _, C])
    spans = token_spans(lp, 9, [A, B, C])
    assert [(s.token, s.start, s.end) for s in spans] == [(A, 1, 3), (B, 4, 7), (C, 8, 9)]
    assert all(s.score == pytest.approx(0.9) for s in spans)


def test_repeated_letters_keep_the_blank_between_them():
    # "all": the two l's are two spans with the blank at frame 4 between them
    lp = _log_probs([A, L, L, L, _, L, _])
    near = pytest.approx(0.9)
    assert token_spans(lp, 7, [A, L, L]) == [TokenSpan(A, 0, 1, near), TokenSpan(L, 1, 4, near), TokenSpan(L, 5, 6, near)]


def test_repeated_letters_get_a_blank_the_best_path_lacks():
    # greedy decoding would read "al" from a l l l; spelling "all" forces a blank between the l's
    lp = _log_probs([A, L, L, L, L])
    spans = token_spans(lp, 5, [A, L, L])
    assert [s.token for s in spans] == [A, L, L]
    assert spans[1].end < spans[2].start  # at least one blank frame between them
    assert spans[0].start == 0 and spans[2].end == 5


def test_two_words_split_at_the_separator_and_meet_in_the_middle_of_the_gap():
    # "ab|c": word 0 = a b on frames 1-4, a gap of blanks and "|" on 4-9, word 1 = c on frames 9-11
    lp = _log_probs([_, A, _, B, _, _, SEP, _, _, C, C, _])
    tight = word_spans(lp, 12, [A, B, SEP, C], separator=SEP, extend=False)
    assert [(w.word, w.start, w.end) for w in tight] == [(0, 1, 4), (1, 9, 11)]
    words = word_spans(lp, 12, [A, B, SEP, C], separator=SEP)
    # gap 4..9 -> boundary at frame 6 (an odd gap gives its middle frame to the later word); outer ends 0 and 12
    assert words == [WordSpan(0, 0, 6, pytest.approx(0.9)), WordSpan(1, 6, 12, pytest.approx(0.9))]


def test_word_tokens_are_each_a_word():
    lp = _log_probs([_, _, A, _, _, _, _, B, _, C])  # three word ids, no separator
    words = word_spans(lp, 10, [A, B, C])
    assert [(w.word, w.start, w.end) for w in words] == [(0, 0, 5), (1, 5, 8), (2, 8, 10)]


def test_word_tokens_that_repeat_are_two_words():
    lp = _log_probs([A, A, _, A, _])  # "seven seven" from a word model
    words = word_spans(lp, 5, [A, A])
    assert [(w.start, w.end) for w in words] == [(0, 2), (2, 5)]


def test_frames_past_the_length_are_never_aligned():
    # padding frames (past length 6) claim C strongly; only the first 6 frames count
    lp = _log_probs([_, A, _, SEP, B, _, C, C, C, C])
    words = word_spans(lp, 6, [A, SEP, B], separator=SEP)
    assert [(w.start, w.end) for w in words] == [(0, 3), (3, 6)]


def test_separators_at_the_ends_or_doubled_make_no_word():
    lp = _log_probs([SEP, A, _, SEP, SEP, _, B, SEP])
    words = word_spans(lp, 8, [SEP, A, SEP, SEP, B, SEP], separator=SEP, extend=False)
    assert [(w.word, w.start, w.end) for w in words] == [(0, 1, 2), (1, 6, 7)]


def test_score_is_the_mean_probability_of_the_words_own_frames():
    lp = _log_probs([A, _, SEP, B, _])
    lp[0] = _log_probs([A], peak=0.5)[0]  # a weaker a; the blank and separator frames do not count
    words = word_spans(lp, 5, [A, SEP, B], separator=SEP)
    assert [w.score for w in words] == [pytest.approx(0.5), pytest.approx(0.9)]


def test_too_few_frames_for_the_transcript_is_a_value_error():
    lp = _log_probs([A, L, L])  # "all" needs a blank between the l's: 4 frames
    with pytest.raises(ValueError, match="3 frames cannot hold 3 tokens"):
        token_spans(lp, 3, [A, L, L])
    assert token_spans(lp, 3, []) == [] and word_spans(lp, 3, []) == []


def test_an_hour_is_refused_before_torchaudio_crashes_on_it():
    # 80 000 frames x 15 000 tokens (an hour of speech): torchaudio's 32-bit trellis index overflows, a segfault
    lp = torch.zeros(80_000, VOCAB)
    with pytest.raises(TooLongToAlign, match="80000 frames x 15000 tokens"):
        token_spans(lp, 80_000, [A, L] * 7_500)
