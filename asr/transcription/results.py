"""What transcription gives back: the text, its segments and its words, with times in seconds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Word:
    """A word and when it was said; times and confidence are None where the model cannot align
    (LAS models have no CTC head)."""

    start: float | None  # seconds from the start of the recording
    end: float | None
    word: str
    confidence: float | None  # mean probability of the word's tokens on their frames, 0-1


@dataclass(frozen=True)
class Token:
    """One output token (a character for character models, a word piece for subword models) and its times."""

    start: float
    end: float
    token: str
    confidence: float


@dataclass(frozen=True)
class Alternative:
    """One of a beam search's best readings of a segment, and the score it ranked it by (higher is better)."""

    text: str
    score: float


@dataclass(frozen=True)
class Segment:
    """A stretch of speech between pauses (a whole file when it is short); with N-best decoding, the search's
    best readings of it, best first (the first is the segment's text, but for words a piece shares with the
    next and leaves to it)."""

    start: float
    end: float
    text: str
    alternatives: tuple[Alternative, ...] = ()


@dataclass
class TranscriptionResult:
    """text: the whole transcript; segments in time order; words (and tokens) in time order."""

    text: str
    segments: list[Segment] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    duration: float = 0.0  # seconds of audio

    def to_dict(self, tokens: bool = False) -> dict:
        """Plain JSON-ready form; `tokens` adds the token times (long: one entry per character)."""
        out = {"text": self.text, "duration": round(self.duration, 3),
               "segments": [_segment(s) for s in self.segments],
               "words": [_rounded(asdict(w)) for w in self.words]}
        if tokens:
            out["tokens"] = [_rounded(asdict(t)) for t in self.tokens]
        return out


def _segment(segment: Segment) -> dict:
    """A segment as JSON: its alternatives (scores to 4 decimals) only where there are any."""
    row = _rounded({k: v for k, v in asdict(segment).items() if k != "alternatives"})
    if segment.alternatives:
        row["alternatives"] = [{"text": a.text, "score": round(a.score, 4)} for a in segment.alternatives]
    return row


def _rounded(row: dict) -> dict:
    """Milliseconds are finer than any boundary here (encoder frames are 30-40 ms)."""
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
