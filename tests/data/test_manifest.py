"""Manifests: exact round trip, atomic writes, clear errors; PrepareReport summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asr.data.manifest import PrepareReport, Utterance, read_manifest, write_manifest
from asr.errors import UserError

UTTERANCES = [
    Utterance("a-1", "/corpus/a/1.flac", 1.25, "HELLO WORLD", "a"),
    Utterance("b-2", "/corpus/b/2.flac", 0.1 + 0.2, "ça va? it's fine", "b"),  # not exact in binary
]


def test_round_trip_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "m.jsonl"
    write_manifest(path, UTTERANCES)
    assert read_manifest(path) == UTTERANCES
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [list(json.loads(line)) for line in lines] == [["id", "audio", "duration", "text",
                                                           "speaker"]] * 2
    assert "ça va" in lines[1]  # written as UTF-8, not \u escapes
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.jsonl"]  # no temp file left


def test_failed_write_keeps_the_old_manifest(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    write_manifest(path, UTTERANCES)

    def broken():
        yield UTTERANCES[0]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_manifest(path, broken())
    assert read_manifest(path) == UTTERANCES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl"]


@pytest.mark.parametrize("bad_line, words", [
    ('{"id": "x", "audio": "/x.wav"', "not valid JSON"),
    ('["x"]', "expected a JSON object"),
    ('{"id": "x", "audio": "/x.wav", "duration": 1.0, "text": "X"}', "missing speaker"),
    ('{"id": "x", "audio": "/x.wav", "duration": "1", "text": "X", "speaker": "s"}', "duration"),
    ('{"id": "x", "audio": "/x.wav", "duration": 1, "text": 5, "speaker": "s"}', "'text'"),
    ('{"id": "x", "audio": "/x.wav", "duration": 1, "text": "X", "speaker": "s", "y": 1}',
     "unknown 'y'"),
])
def test_malformed_line_names_file_and_line(bad_line: str, words: str, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    good = json.dumps({"id": "a", "audio": "/a.wav", "duration": 1.0, "text": "A", "speaker": "s"})
    path.write_text(f"{good}\n\n{bad_line}\n")
    with pytest.raises(UserError) as caught:
        read_manifest(path)
    assert str(caught.value).startswith(f"{path}:3: ")
    assert words in str(caught.value)


def test_relative_audio_is_relative_to_the_manifest(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"id": "a", "audio": "wavs/a.wav", "duration": 2,
                                "text": "A", "speaker": "s"}) + "\n")
    assert read_manifest(path)[0].audio == str(tmp_path / "wavs" / "a.wav")


def test_missing_manifest_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such manifest"):
        read_manifest(tmp_path / "nope.jsonl")


def test_report_counts_and_summarises_problems() -> None:
    report = PrepareReport(name="dev")
    report.add_written("/out/dev.jsonl", UTTERANCES)
    assert report.summary() == ("dev: wrote 2 utterances (0.00 h, 2 speakers) to /out/dev.jsonl."
                                " No problems found.")
    for i in range(5):
        report.add_problem("no_audio", f"id-{i}")
    report.add_problem("unreadable", "/x.flac: not an audio file (format not recognised)")
    assert (report.no_audio, report.unreadable, report.problems) == (5, 1, 6)
    assert report.examples["no_audio"] == ["id-0", "id-1", "id-2"]  # only the first few kept
    summary = report.summary()
    assert "Skipped 6: 5 transcripts with no audio (e.g. id-0; id-1; id-2, ...)" in summary
    assert "1 unreadable file (e.g. /x.flac: not an audio file" in summary
    assert "\n" not in summary
    with pytest.raises(ValueError):
        report.add_problem("typo", "x")


def test_report_names_transcripts_lost_in_normalisation_after_what_was_skipped() -> None:
    report = PrepareReport(name="dev")
    report.add_written("/out/dev.jsonl", [*UTTERANCES, Utterance("zh", "/zh.wav", 1.0, "你好，世界", "s")])
    assert report.problems == 0 and report.summary() == (
        "dev: wrote 3 utterances (0.00 h, 3 speakers) to /out/dev.jsonl. Kept, but left out of training and "
        "scoring: 1 utterance whose transcript normalises to nothing or loses most of its letters (zh '你好，世界'; "
        "the normaliser keeps only Latin letters (accents dropped), digits and apostrophes).")
    report.add_problem("no_audio", "id-0")
    assert report.summary().endswith("Skipped 1: 1 transcript with no audio (e.g. id-0). Kept, but left out of "
                                     "training and scoring: 1 utterance whose transcript normalises to nothing or "
                                     "loses most of its letters (zh '你好，世界'; the normaliser keeps only Latin "
                                     "letters (accents dropped), digits and apostrophes).")
