"""SubRip and WebVTT output read back by the `srt` and `webvtt-py` packages; text and JSON forms."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import srt
import webvtt

import asr
from asr.transcription.results import Segment, TranscriptionResult, Word
from asr.transcription.subtitles import LINE_CHARS, cues, render

V1_ASSETS = Path(__file__).resolve().parents[1] / "assets" / "v1_model"


@pytest.fixture(scope="module")
def real() -> TranscriptionResult:
    """What the v1 digit model makes of a recording: one segment, one timed word."""
    return asr.load_model(V1_ASSETS / "digits_v1.pt").transcribe(V1_ASSETS / "7_yweweler_3.wav")


def long_talk() -> TranscriptionResult:
    """Two segments an hour in: one short, one of 30 timed words (too long for one cue)."""
    words = [Word(3600.0 + 0.5 * i, 3600.0 + 0.5 * i + 0.4, f"word{i}", 0.9) for i in range(30)]
    segments = [Segment(3599.0, 3599.8, "hello"), Segment(words[0].start, words[-1].end, " ".join(w.word for w in words))]
    first = Word(3599.0, 3599.8, "hello", 0.8)
    return TranscriptionResult(" ".join(s.text for s in segments), segments, [first, *words], [], 3620.0)


def test_srt_of_a_real_result_parses_back(real):
    (sub,) = srt.parse(render(real, "srt"))
    (word,) = real.words
    assert sub.index == 1 and sub.content == real.text == "seven"
    assert sub.start == timedelta(milliseconds=round(word.start * 1000))
    assert sub.end == timedelta(milliseconds=round(word.end * 1000))


def test_vtt_of_a_real_result_parses_back(real):
    (caption,) = webvtt.from_string(render(real, "vtt"))
    (word,) = real.words
    assert caption.text == "seven"
    assert caption.start_in_seconds == int(word.start) and caption.start == f"00:00:{word.start:06.3f}"


def test_long_segments_become_several_cues_of_two_short_lines_timed_by_their_words():
    result = long_talk()
    subs = list(srt.parse(render(result, "srt")))
    captions = list(webvtt.from_string(render(result, "vtt")))
    assert len(subs) == len(captions) == len(cues(result)) > 2
    assert subs[0].content == "hello" and subs[0].start == timedelta(seconds=3599)
    assert captions[1].start == "01:00:00.000"  # hours are written out
    spoken = " ".join(s.content.replace("\n", " ") for s in subs[1:])
    assert spoken == result.segments[1].text
    for sub, caption in zip(subs, captions):
        lines = sub.content.split("\n")
        assert len(lines) <= 2 and all(len(line) <= LINE_CHARS for line in lines)
        assert sub.start < sub.end and caption.text == sub.content
    # each cue starts with its first word and ends with its last
    starts = {w.start for w in result.words}
    assert all(sub.start.total_seconds() in starts for sub in subs)


def test_words_without_times_leave_a_segment_one_cue():
    result = TranscriptionResult("one two", [Segment(1.0, 2.5, "one two")], [Word(None, None, "one", None),
                                                                             Word(None, None, "two", None)])
    (sub,) = srt.parse(render(result, "srt"))
    assert (sub.start, sub.end, sub.content) == (timedelta(seconds=1), timedelta(seconds=2.5), "one two")


def test_no_speech_is_an_empty_but_valid_file():
    empty = TranscriptionResult("", [], [], [], 12.0)
    assert list(srt.parse(render(empty, "srt"))) == []
    assert list(webvtt.from_string(render(empty, "vtt"))) == []
    assert render(empty, "txt") == ""


def test_text_and_json(real):
    assert render(long_talk(), "txt").splitlines()[0] == "hello"
    row = json.loads(render(real, "json", source="a.wav", tokens=True))
    assert row["path"] == "a.wav" and row["text"] == "seven"
    assert row["words"][0]["word"] == "seven" and set(row["words"][0]) == {"start", "end", "word", "confidence"}
    assert row["segments"][0]["text"] == "seven" and row["tokens"][0]["token"] == "seven"
    assert "tokens" not in json.loads(render(real, "json"))
