"""When each word and token of a transcript was said: CTC forced alignment of the model's own output.

The decoded ids (from any search: greedy, beam, joint) are aligned against the same utterance's CTC
log-probabilities (`forced_alignment.token_spans`); a word runs from its first token's first frame
to its last token's last frame. Unlike `asr align`, which stretches words over the pauses so that
they tile an utterance for cutting, these are the frames the model spent on the word, which is what
subtitles and word highlighting want (the mini recipe's CTC model: boundaries 39 ms from the truth on
average, `scripts/bench_timestamps.py`; recipes/mini/README.md has the figures).

Encoder frame j stacks feature frames [j*r, (j+1)*r); feature frame t reads samples
[t*hop, t*hop + win). `FrameClock` puts the boundary between two encoder frames in the middle of
their feature windows' overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from asr.decoding.forced_alignment import mean_score, token_spans
from asr.model_file import LoadedModel
from asr.text.tokenizer import SPACE, AnyTokenizer
from asr.transcription.results import Token, Word

WORD_START = "\u2581"  # SentencePiece's mark on a piece that starts a word


@dataclass(frozen=True)
class FrameClock:
    """Encoder frames -> seconds for one model."""

    sample_rate: int
    frame_samples: int  # samples per encoder frame: the encoder's time reduction x the feature hop
    boundary_offset: float  # samples from frame j's first sample to the boundary before it

    @classmethod
    def of(cls, loaded: LoadedModel) -> FrameClock:
        cfg = loaded.features.cfg
        return cls(cfg.sample_rate, loaded.model.cfg.encoder.reduction * cfg.hop_length,
                   (cfg.win_length - cfg.hop_length) / 2)

    def seconds(self, frame: int, frames: int, samples: int) -> float:
        """The boundary before encoder frame `frame` of `frames` in a wave of `samples`: 0 before
        the first frame, the end of the audio after the last."""
        if frame <= 0:
            return 0.0
        if frame >= frames:
            return samples / self.sample_rate
        return min(frame * self.frame_samples + self.boundary_offset, samples) / self.sample_rate


def word_groups(ids: list[int], tokenizer: AnyTokenizer) -> list[list[int]]:
    """Positions in `ids` of each word's tokens: split at the separator (characters), one word per
    token (word tokenizers), or at pieces that start a word (SentencePiece). Separators belong to no word.

    >>> from asr.text.tokenizer import Tokenizer
    >>> chars = Tokenizer("char", ("<blank>", "|", "a", "b"))
    >>> word_groups([2, 3, 1, 3], chars)
    [[0, 1], [3]]
    """
    symbols = tokenizer.symbols
    separator = symbols.index(SPACE) if tokenizer.kind == "char" and SPACE in symbols else None
    groups: list[list[int]] = [[]]
    for position, token in enumerate(ids):
        if token == separator:
            groups.append([])
        elif tokenizer.kind == "word" or (tokenizer.kind not in ("char", "word")
                                          and symbols[token].startswith(WORD_START)):
            groups.append([position])
        else:
            groups[-1].append(position)
    return [g for g in groups if g and tokenizer.decode([ids[p] for p in g])]


def timed_words(log_probs: torch.Tensor | None, ids: list[int], tokenizer: AnyTokenizer, clock: FrameClock,
                samples: int, offset: float = 0.0) -> tuple[list[Word], list[Token]]:
    """The words and tokens of one decoded utterance with their times.

    log_probs : Tensor, shape = (frames, vocab), the utterance's CTC log-probs (valid frames only),
                or None for a model without a CTC head: words come back without times
    ids       : the decoded token ids
    samples   : the utterance's length in samples; offset: seconds added to every time (where the
                utterance starts in a longer recording)
    returns   : words and tokens in order; separators are not tokens
    """
    ids = [i for i in ids if i != tokenizer.blank_id and i != tokenizer.eos_id]
    groups = word_groups(ids, tokenizer)
    if log_probs is None:
        return [Word(None, None, tokenizer.decode([ids[p] for p in g]), None) for g in groups], []
    try:
        spans = token_spans(log_probs, len(log_probs), ids, tokenizer.blank_id)
    except ValueError:  # more tokens than frames (an attention search can spell past the audio), or an hour whole
        return [Word(None, None, tokenizer.decode([ids[p] for p in g]), None) for g in groups], []
    frames = len(log_probs)

    def at(frame: int) -> float:
        return offset + clock.seconds(frame, frames, samples)

    words = [Word(at(spans[g[0]].start), at(spans[g[-1]].end), tokenizer.decode([ids[p] for p in g]),
                  mean_score([spans[p] for p in g])) for g in groups]
    in_words = {p for g in groups for p in g}
    tokens = [Token(at(s.start), at(s.end), tokenizer.symbols[s.token], s.score)
              for p, s in enumerate(spans) if p in in_words]
    return words, tokens

