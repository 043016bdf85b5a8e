"""CTC forced alignment: where each word of a known transcript sits in an utterance's frames.

The most likely CTC path that spells exactly the transcript (torchaudio's `forced_align`, a Viterbi
pass over blank/token states) labels every frame with a token or the blank. A token's frames are
its span; a word's tokens run from its first token's first frame to its last token's last frame.

CTC spikes are narrow: a character model puts each letter on a frame or two and a word model the
whole word on one frame, anywhere in the word (or in the pause after it), so those spans cover a
fraction of the sound. `word_spans` therefore moves every boundary between two words to the middle
of the blank / separator gap between their tokens, and the outer boundaries to the utterance's
ends, so that the words tile the utterance: the frames of a gap carry no evidence for either
neighbour, and the middle errs by at most half the gap either way. Measured on the 42 ordered pairs
of the 7 digit recordings in tests/assets/v1_model that its word model recognises, joined by 0.5 s
of quiet noise: the midpoint put each recording whole inside its own word's segment in 37 pairs; the
tokens' own frames did so in none (tests/transcription/test_word_alignment.py checks both), and a fixed padding
around them (clipped to the gap's middle) of 0.1, 0.2 or 0.3 s in 0, 0 and 24. In continuous speech
(scripts/align_librispeech.py: a character model fit to 132 LibriSpeech utterances, which are cut in
two at 393 word boundaries and each half transcribed) the words either side of the cut came back
right most often with the cut at the gap's middle (177 and 129 of 393), against 156 / 113 with it
30 ms earlier, 158 / 86 30 ms later and at most 68 / 69 60 ms or more away.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torchaudio

# torchaudio's forced_align indexes its frames x (2 tokens + 1) trellis with 32-bit integers and
# crashes the process past them (a segfault at 80 000 frames x 15 000 tokens: an hour of speech).
MAX_TRELLIS = 2**31 - 1


class TooLongToAlign(ValueError):
    """An utterance whose trellis is past MAX_TRELLIS: cut it into shorter pieces first."""


class TokenSpan(NamedTuple):
    token: int  # token id
    start: int  # first frame
    end: int  # one past the last frame
    score: float  # mean probability of the token on its frames


class WordSpan(NamedTuple):
    word: int  # index of the word in the transcript (0 = first)
    start: int  # first frame
    end: int  # one past the last frame
    score: float  # mean probability of the word's tokens on their own frames (gaps not counted)


def token_spans(log_probs: torch.Tensor, length: int, tokens: list[int], blank: int = 0) -> list[TokenSpan]:
    """The frames of each token of `tokens` on the best CTC path that spells them.

    log_probs : Tensor, shape = (frames, vocab), CTC log-probabilities of one utterance
    length    : valid frames (the rest is padding and never aligned)
    tokens    : the transcript's token ids, no blanks
    returns   : one span per token, in order, spans disjoint and increasing

    Raises ValueError when the frames cannot hold the tokens: CTC needs one frame per token plus a
    blank between two equal neighbours; TooLongToAlign (a ValueError) past MAX_TRELLIS.

    >>> lp = torch.tensor([[.1, .8, .1], [.8, .1, .1], [.1, .1, .8]]).log()
    >>> [(s.token, s.start, s.end) for s in token_spans(lp, 3, [1, 2])]
    [(1, 0, 1), (2, 2, 3)]
    """
    if not tokens:
        return []
    if blank in tokens:
        raise ValueError("a transcript to align cannot hold the blank")
    needed = len(tokens) + sum(a == b for a, b in zip(tokens, tokens[1:]))
    if length < needed:
        raise ValueError(f"{length} frames cannot hold {len(tokens)} tokens (CTC needs {needed})")
    if length * (2 * len(tokens) + 1) > MAX_TRELLIS:
        raise TooLongToAlign(f"{length} frames x {len(tokens)} tokens; forced alignment holds about 20 minutes "
                             f"of speech at a time")
    emission = log_probs[:length].detach().float().cpu().unsqueeze(0)  # (1, T, V): forced_align is batch-1
    targets = torch.tensor([tokens], dtype=torch.int32)  # (1, L)
    labels, scores = torchaudio.functional.forced_align(emission, targets, blank=blank)  # (1, T) each
    merged = torchaudio.functional.merge_tokens(labels[0], scores[0].exp(), blank=blank)
    return [TokenSpan(s.token, s.start, s.end, s.score) for s in merged]


def word_spans(log_probs: torch.Tensor, length: int, tokens: list[int], blank: int = 0,
               separator: int | None = None, extend: bool = True) -> list[WordSpan]:
    """The frames of each word of a transcript.

    log_probs : Tensor, shape = (frames, vocab), CTC log-probabilities of one utterance
    length    : valid frames
    tokens    : the transcript's token ids; words are split at `separator` (the character
                tokenizer's "|"); with separator None every token is a word (word tokenizers)
    extend    : move each boundary between words to the middle of the gap between their tokens and
                the outer ones to frames 0 and `length` (the words then tile the utterance); False
                gives each word only its tokens' frames
    returns   : one span per word, in order; separators at either end or doubled make no word

    >>> lp = torch.tensor([[.8, .1, .1], [.1, .8, .1], [.8, .1, .1], [.8, .1, .1], [.8, .1, .1],
    ...                    [.1, .1, .8], [.8, .1, .1]]).log()
    >>> [(w.word, w.start, w.end) for w in word_spans(lp, 7, [1, 2])]
    [(0, 0, 3), (1, 3, 7)]
    >>> [(w.word, w.start, w.end) for w in word_spans(lp, 7, [1, 2], extend=False)]
    [(0, 1, 2), (1, 5, 6)]
    """
    words: list[list[TokenSpan]] = [[]]
    for span in token_spans(log_probs, length, tokens, blank):
        if span.token == separator:
            words.append([])  # the separator's frames belong to the gap, not to either word
        elif separator is None:
            words.append([span])
        else:
            words[-1].append(span)
    words = [w for w in words if w]
    starts = [w[0].start for w in words]
    ends = [w[-1].end for w in words]
    if extend and words:
        # the gap between word i's last token and word i+1's first: an odd frame goes to the later word
        middles = [(end + start) // 2 for end, start in zip(ends[:-1], starts[1:])]
        starts, ends = [0, *middles], [*middles, length]
    return [WordSpan(i, start, end, mean_score(w)) for i, (w, start, end) in enumerate(zip(words, starts, ends))]


def mean_score(spans: list[TokenSpan]) -> float:
    """A word's score: the frame-weighted mean of the tokens' scores: each frame of the word's tokens counts once."""
    frames = sum(s.end - s.start for s in spans)
    return sum(s.score * (s.end - s.start) for s in spans) / frames
