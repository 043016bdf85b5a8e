"""A transcription as a file people and players read: plain text, JSON, SubRip (.srt) or WebVTT (.vtt).

Subtitle cues follow the segments; a segment longer than two lines of `LINE_CHARS` is split between
words into several cues, each timed by its own words (the BBC's and Netflix's guidelines: at most
two lines of about 42 characters). Words without times (LAS models) leave each segment one cue.
"""

from __future__ import annotations

import json
import textwrap
from typing import NamedTuple

from asr.transcription.results import TranscriptionResult, Word

FORMATS = ("txt", "json", "srt", "vtt")
LINE_CHARS = 42


class Cue(NamedTuple):
    start: float
    end: float
    text: str  # lines joined by "\n"


def render(result: TranscriptionResult, fmt: str, source: str | None = None, tokens: bool = False) -> str:
    """The file's text in `fmt`; JSON carries `source` as "path" and, with `tokens`, token times."""
    if fmt == "txt":
        return "".join(s.text + "\n" for s in result.segments)
    if fmt == "json":
        return json.dumps({"path": source, **result.to_dict(tokens)}) + "\n"
    if fmt == "srt":
        return "".join(f"{i}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{c.text}\n\n"
                       for i, c in enumerate(cues(result), 1))
    if fmt == "vtt":
        return "WEBVTT\n\n" + "".join(f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{c.text}\n\n"
                                      for c in cues(result))
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def cues(result: TranscriptionResult, line_chars: int = LINE_CHARS) -> list[Cue]:
    """Subtitle cues in time order, each at most two lines of `line_chars` where words have times."""
    out = []
    for segment in result.segments:
        words = [w for w in result.words if w.start is not None and segment.start <= w.start < segment.end + 1e-6]
        groups = _cue_words(words, 2 * line_chars) if words else []
        if not groups:
            out.append(Cue(segment.start, segment.end, _lines(segment.text, line_chars)))
        for group in groups:
            out.append(Cue(group[0].start, group[-1].end, _lines(" ".join(w.word for w in group), line_chars)))
    # players need end > start; a word of one frame at the very end can have both equal after rounding
    return [Cue(c.start, max(c.end, c.start + 0.001), c.text) for c in out]


def _cue_words(words: list[Word], max_chars: int) -> list[list[Word]]:
    """Words cut into runs of at most `max_chars` characters (a longer single word stays whole)."""
    groups: list[list[Word]] = [[]]
    for word in words:
        if groups[-1] and len(" ".join(w.word for w in groups[-1] + [word])) > max_chars:
            groups.append([])
        groups[-1].append(word)
    return [g for g in groups if g]


def _lines(text: str, line_chars: int) -> str:
    return "\n".join(textwrap.wrap(text, line_chars)) or text


def _clock(seconds: float, decimal: str) -> str:
    """01:02:03,456 (SubRip) or 01:02:03.456 (WebVTT)."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{ms:03d}"
