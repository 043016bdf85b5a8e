"""`asr evaluate` scores what it can read and counts what it cannot."""

import json
from pathlib import Path

import pytest
import soundfile as sf

from asr.cli.main import main


def test_unreadable_files_are_one_line_each_counted_and_left_out(digit_model, fsdd_recordings, tmp_path, capsys):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not audio\n")
    rows = [{"id": "a", "audio": str(fsdd_recordings / "0_theo_0.wav"), "duration": 0.5, "text": "zero", "speaker": "theo"},
            {"id": "missing", "audio": str(tmp_path / "missing.wav"), "duration": 0.5, "text": "one", "speaker": "x"},
            {"id": "b", "audio": str(fsdd_recordings / "5_jackson_1.wav"), "duration": 0.5, "text": "five", "speaker": "jackson"},
            {"id": "text", "audio": str(not_audio), "duration": 0.5, "text": "two", "speaker": "x"},
            {"id": "c", "audio": str(fsdd_recordings / "8_yweweler_2.wav"), "duration": 0.5, "text": "eight", "speaker": "yweweler"}]
    # shorter than one analysis frame: nothing for the encoder to read (a torch RuntimeError once)
    audio, rate = sf.read(fsdd_recordings / "3_theo_0.wav", dtype="float32")
    sf.write(tmp_path / "click.wav", audio[:100], rate)
    rows.append({"id": "click", "audio": str(tmp_path / "click.wav"), "duration": 0.0125, "text": "three",
                 "speaker": "theo"})
    manifest = tmp_path / "test.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "hyps.jsonl"
    status = main(["evaluate", "--model", str(digit_model), str(manifest), "--out", str(out), "--chunk", "2"])
    captured = capsys.readouterr()
    assert status == 1
    errors = [line for line in captured.err.splitlines() if line.startswith("asr: error:")]
    assert len(errors) == 3 and "missing.wav: no such file" in errors[0] and "notes.wav" in errors[1]
    assert errors[2] == (f"asr: error: {tmp_path / 'click.wav'}: too short (100 samples at 8000 Hz, 12.5 ms): "
                         "the model needs at least 25 ms (one analysis frame)")
    assert "test.jsonl: 3 utterances" in captured.out and "3 unreadable (left out)" in captured.out
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b", "c"]
    # --scores: the same figures as data, for scripts (the LibriSpeech recipe's table); --read-size is --chunk
    scores = tmp_path / "scores.json"
    assert main(["evaluate", "--model", str(digit_model), str(manifest), "--out", str(out), "--read-size", "2",
                 "--scores", str(scores)]) == 1
    printed, figures = capsys.readouterr().out, json.loads(scores.read_text())
    assert (figures["utterances"], figures["unreadable"], figures["hypotheses"]) == (3, 3, str(out))
    assert f"WER {100 * figures['wer']:.2f}%" in printed and f"CER {100 * figures['cer']:.2f}%" in printed
    assert figures["rtf"] > 0 and figures["manifest"] == str(manifest)


def test_a_manifest_of_nothing_readable_is_one_error(digit_model, tmp_path, capsys):
    manifest = tmp_path / "test.jsonl"
    manifest.write_text(json.dumps({"id": "x", "audio": str(tmp_path / "none.wav"), "duration": 1, "text": "a", "speaker": "x"}) + "\n")
    assert main(["evaluate", "--model", str(digit_model), str(manifest), "--out", str(tmp_path / "h.jsonl")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        f"asr: error: no audio of {manifest} could be read (1 unreadable)"
    assert not Path(tmp_path / "h.jsonl").exists()


def test_an_utterance_longer_than_max_chunk_is_scored_as_transcribe_reads_it(digit_model, fsdd_recordings, tmp_path,
                                                                            capsys):
    import numpy as np
    import soundfile as sf

    import asr

    pause = np.zeros(4000, dtype=np.float32)  # 0.5 s at FSDD's 8 kHz
    takes = [f"{digit}_{speaker}_{digit % 5}.wav" for digit, speaker in enumerate(["theo", "jackson", "nicolas",
                                                                                  "yweweler"] * 3) if digit < 10]
    wave = np.concatenate([np.concatenate([sf.read(fsdd_recordings / t, dtype="float32")[0], pause]) for t in takes])
    long_file = tmp_path / "digits.flac"
    sf.write(long_file, wave, 8000)
    words = "zero one two three four five six seven eight nine"
    rows = [{"id": "long", "audio": str(long_file), "duration": len(wave) / 8000, "text": words, "speaker": "x"},
            {"id": "short", "audio": str(fsdd_recordings / takes[5]), "duration": 0.5, "text": "five", "speaker": "x"}]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    model = asr.load_model(digit_model)
    heard = {}
    for max_chunk in (3.0, 0.0):  # cut at pauses into pieces of at most 3 s; whole
        out = tmp_path / f"hyps{max_chunk}.jsonl"
        assert main(["evaluate", "--model", str(digit_model), str(manifest), "--out", str(out),
                     "--max-chunk", str(max_chunk)]) == 0
        hyps = {row["id"]: row["hyp"] for row in map(json.loads, out.read_text().splitlines())}
        assert hyps == {"long": model.transcribe(long_file, max_chunk=max_chunk).text,
                        "short": model.transcribe(fsdd_recordings / takes[5]).text}
        heard[max_chunk] = hyps["long"].split()
    # a model of single words, read whole over 10 s, hears next to nothing; in pieces it hears most of them
    assert len(heard[3.0]) >= 6 and len(heard[3.0]) > len(heard[0.0]), heard
    capsys.readouterr()
    for bad in ("-1", "1"):  # refused before any decoding, for evaluate and transcribe alike
        for command in (["evaluate", "--model", str(digit_model), str(manifest)],
                        ["transcribe", "--model", str(digit_model), str(long_file)]):
            assert main([*command, "--max-chunk", bad]) == 2
            assert f"--max-chunk must be 0 (never cut) or at least 2 s, not {bad}" in capsys.readouterr().err


def test_transcripts_lost_in_normalisation_are_counted_and_left_out_of_scoring(digit_model, digit_manifests, tmp_path,
                                                                               capsys):
    rows = [json.loads(line) for line in (digit_manifests / "test_takes.jsonl").read_text().splitlines()[:8]]
    lost = {1: "六", 4: "שש", 6: "шесть"}  # Chinese, Hebrew, Cyrillic: each normalises to nothing
    mixed = [{**row, "text": lost.get(i, row["text"])} for i, row in enumerate(rows)]
    kept = [row for i, row in enumerate(rows) if i not in lost]
    for name, manifest in (("mixed", mixed), ("kept", kept)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in manifest))
        assert main(["evaluate", "--model", str(digit_model), str(tmp_path / f"{name}.jsonl"), "--out",
                     str(tmp_path / f"{name}_hyps.jsonl"), "--scores", str(tmp_path / f"{name}.json")]) == 0
    out = capsys.readouterr().out
    ids = ", ".join(f"{rows[i]['id']} {text!r}" for i, text in lost.items())
    assert (f"mixed.jsonl: left out of scoring: 3 utterances whose transcript normalises to nothing or loses most "
            f"of its letters ({ids}; the normaliser keeps only Latin letters") in out
    assert "mixed.jsonl: 5 utterances" in out and "3 unscored (left out)" in out
    scores = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in ("mixed", "kept")}
    assert (scores["mixed"]["utterances"], scores["mixed"]["unscored"], scores["kept"]["unscored"]) == (5, 3, 0)
    # the corpus figures are those of the other utterances alone, not inflated by empty references
    assert (scores["mixed"]["wer"], scores["mixed"]["cer"]) == (scores["kept"]["wer"], scores["kept"]["cer"])
    assert [json.loads(line)["id"] for line in (tmp_path / "mixed_hyps.jsonl").read_text().splitlines()] == \
        [row["id"] for row in kept]

    # nothing left to score: one line, before any model is loaded
    (tmp_path / "zh.jsonl").write_text("".join(json.dumps({**row, "text": "六"}) + "\n" for row in rows))
    assert main(["evaluate", "--model", str(tmp_path / "no_model.pt"), str(tmp_path / "zh.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"asr: error: nothing in {tmp_path / 'zh.jsonl'} can be scored: every transcript normalises to "
                   "nothing or loses most of its letters (the normaliser keeps only Latin letters (accents dropped), "
                   "digits and apostrophes)")


def test_report_counts_what_jiwer_counts_over_the_hypotheses(digit_model, digit_manifests, tmp_path, capsys):
    import jiwer

    rows = [json.loads(line) for line in (digit_manifests / "test_takes.jsonl").read_text().splitlines()[:24]]
    # "oh" is no word of the digit model's: these references have at least one error the report must place
    wrong = {3: "oh", 10: "oh"}
    rows = [{**row, "text": f"{wrong[i]} {row['text']}" if i in wrong else row["text"]} for i, row in enumerate(rows)]
    manifest, out, report, scores = (tmp_path / "m.jsonl", tmp_path / "hyps.jsonl", tmp_path / "report",
                                     tmp_path / "scores.json")
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["evaluate", "--model", str(digit_model), str(manifest), "--out", str(out), "--report", str(report),
                 "--scores", str(scores)]) == 0
    assert f"report in {report / 'report.md'}" in capsys.readouterr().out
    data = json.loads((report / "report.json").read_text())
    assert (report / "wer_by_length.png").read_bytes()[:4] == b"\x89PNG"
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    counted = jiwer.process_words([line["ref"] for line in lines], [line["hyp"] for line in lines])
    assert [data["totals"][k] for k in ("hits", "substitutions", "deletions", "insertions")] == \
        [counted.hits, counted.substitutions, counted.deletions, counted.insertions]
    assert data["totals"]["wer"] == pytest.approx(json.loads(scores.read_text())["wer"], abs=1e-12)
    assert {g["speaker"] for g in data["by_speaker"]} == {r["speaker"] for r in rows}
    assert sum(g["words"] for g in data["by_speaker"]) == sum(g["words"] for g in data["by_length"]) == \
        data["totals"]["words"] == sum(len(line["ref"].split()) for line in lines)
    assert "oh" in [d["word"] for d in data["deleted"]] + [c["ref"] for c in data["confusions"]]
    worst = {w["id"] for w in data["worst"]}
    assert {rows[3]["id"], rows[10]["id"]} <= worst or len(worst) == 10
    text = (report / "report.md").read_text()
    assert text.startswith("# Error analysis: m.jsonl") and "## WER per speaker" in text
    assert f"### {data['worst'][0]['id']}" in text and "REF: " in text
