"""The error report counts what jiwer counts, and puts each error where it belongs."""

import json

import jiwer
import pytest

from asr.text.error_report import build_report
from asr.text.error_report_files import aligned_lines, render_markdown, write_report
from asr.text.error_rates import error_rates

# Each pair has one shortest alignment, so every edit below is known without running an aligner.
CASES = [  # id, speaker, seconds, reference, hypothesis
    ("u1", "ann", 3.0, "the cat sat on the mat", "the bat sat on the mat"),  # S cat->bat
    ("u2", "ann", 2.0, "a dog ran", "a ran"),  # D dog
    ("u3", "bob", 1.0, "one two", "one uh two"),  # I uh
    ("u4", "bob", 0.5, "cat cat", "bat bat"),  # S cat->bat twice
    ("u5", "cid", 4.0, "Hello, world!", ""),  # nothing heard: D hello, D world
    ("u6", "cid", 1.5, "dog", "dog"),  # right
]


def _report(cases=CASES, **options):
    ids, speakers, seconds, refs, hyps = (list(column) for column in zip(*cases, strict=True))
    return build_report(refs, hyps, ids, speakers, seconds, **options)


def test_totals_confusions_deletions_and_insertions_are_the_known_edits():
    report = _report()
    t = report.totals
    # words 6+3+2+2+2+1; hits 5+2+2+0+0+1
    assert (t.utterances, t.words, t.hits, t.substitutions, t.deletions, t.insertions) == (6, 16, 10, 3, 3, 1)
    assert t.wer == 7 / 16
    assert report.confusions == [("cat", "bat", 3)]
    assert sorted(report.deleted) == [("dog", 1), ("hello", 1), ("world", 1)]
    assert report.inserted == [("uh", 1)]


def test_totals_agree_with_jiwer_and_error_rates():
    refs, hyps = [c[3] for c in CASES], [c[4] for c in CASES]
    t = _report().totals
    # jiwer over the normalised text, as error_rates scores it
    out = jiwer.process_words(["the cat sat on the mat", "a dog ran", "one two", "cat cat", "hello world", "dog"],
                              ["the bat sat on the mat", "a ran", "one uh two", "bat bat", "", "dog"])
    assert (t.hits, t.substitutions, t.deletions, t.insertions) == \
        (out.hits, out.substitutions, out.deletions, out.insertions)
    assert t.wer == pytest.approx(error_rates(refs, hyps)["wer"], abs=1e-12)


def test_wer_per_speaker_and_by_length():
    report = _report(buckets=2)
    # ann 2 errors in 9 words, bob 3 in 4, cid 2 in 3: highest WER first
    assert [(g.name, g.totals.words, g.totals.errors) for g in report.by_speaker] == \
        [("bob", 4, 3), ("cid", 3, 2), ("ann", 9, 2)]
    assert report.by_speaker[0].totals.wer == 0.75
    # the shorter half: u4, u3, u6 (0.5-1.5 s); the longer: u2, u1, u5 (2-4 s)
    assert [(g.name, g.totals.utterances, g.totals.words, g.totals.errors) for g in report.by_length] == \
        [("0.50-1.50 s", 3, 5, 3), ("2.00-4.00 s", 3, 11, 4)]
    assert sum(g.totals.errors for g in _report().by_length) == 7  # quartiles of six utterances: all counted


def test_worst_utterances_come_most_errors_first_aligned_word_by_word():
    report = _report(worst=3)
    assert [a.id for a in report.worst] == ["u4", "u5", "u1"]  # ties in manifest order; u6 has no error
    assert [a.id for a in _report().worst] == ["u4", "u5", "u1", "u2", "u3"]
    by_id = {a.id: a for a in _report().worst}
    assert aligned_lines(by_id["u5"]) == ["REF: hello world", "HYP: ***   ***", "     D     D"]
    assert aligned_lines(by_id["u2"]) == ["REF: a dog ran", "HYP: a *** ran", "       D"]
    assert aligned_lines(by_id["u3"]) == ["REF: one *** two", "HYP: one uh  two", "         I"]
    assert by_id["u1"].marks == ["", "S", "", "", "", ""]


def test_markdown_holds_the_tables_and_alignments():
    text = render_markdown(_report(), "test.jsonl")
    assert text.startswith("# Error analysis: test.jsonl\n")
    assert "**WER 43.75%** = (3 substitutions + 3 deletions + 1 insertions) / 16 words; 10 words right." in text
    assert "| cat | bat | 3 |" in text and "| uh | 1 |" in text and "| dog | 1 |" in text
    assert "| bob | 2 | 4 | 2 | 0 | 1 | 75.00% |" in text
    assert "![WER by utterance length](wer_by_length.png)" in text
    assert "### u4\n\nspeaker bob, 0.50 s: 2 errors (S 2, D 0, I 0) in 2 words\n\n```\nREF: cat cat\n" in text


def test_all_correct_has_no_errors_to_list(tmp_path):
    report = _report([("a", "s", 1.0, "one two", "one two"), ("b", "s", 2.0, "three", "three")])
    assert (report.totals.hits, report.totals.errors, report.totals.wer) == (3, 0, 0.0)
    assert (report.confusions, report.deleted, report.inserted, report.worst) == ([], [], [], [])
    text = render_markdown(report)
    assert "None: every word right." in text and "| s | 2 | 3 | 0 | 0 | 0 | 0.00% |" in text


def test_files_are_written_and_the_json_holds_the_report(tmp_path):
    markdown = write_report(_report(), tmp_path / "report", title="t")
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert markdown == tmp_path / "report" / "report.md" and markdown.read_text().startswith("# Error analysis: t")
    assert (tmp_path / "report" / "wer_by_length.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {k: data["totals"][k] for k in ("words", "hits", "substitutions", "deletions", "insertions")} == \
        {"words": 16, "hits": 10, "substitutions": 3, "deletions": 3, "insertions": 1}
    assert data["totals"]["wer"] == 7 / 16
    assert data["confusions"] == [{"ref": "cat", "hyp": "bat", "count": 3}]
    assert data["by_speaker"][0]["speaker"] == "bob" and data["by_speaker"][0]["wer"] == 0.75
    assert data["worst"][1]["id"] == "u5" and data["worst"][1]["hyp"] == ["***", "***"]
    assert data["worst"][1]["marks"] == ["D", "D"]


def test_mismatched_or_empty_input_is_refused():
    with pytest.raises(ValueError, match="differ in number"):
        build_report(["a"], ["a", "b"], ["x"], ["s"], [1.0])
    with pytest.raises(ValueError, match="no utterances"):
        build_report([], [], [], [], [])
    with pytest.raises(ValueError, match="normalises to nothing"):
        build_report(["?!"], ["a"], ["x"], ["s"], [1.0])
