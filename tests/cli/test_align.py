"""`asr align` end to end on a small manifest of recorded digits, with the model in tests/assets/v1_model."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf
import torch

from asr.cli.main import main
from asr.data.audio import load_audio
from asr.data.manifest import Utterance, read_manifest, write_manifest
from asr.model_file import load_model_file, save_model_file
from asr.transcription.decoder import transcribe_waves

V1_ASSETS = Path(__file__).parents[1] / "assets" / "v1_model"
MODEL = V1_ASSETS / "digits_v1.pt"
SAMPLE_RATE = 8000


def _pair_file(tmp_path: Path) -> tuple[Path, float, float]:
    """'five' and 'seven' with 0.5 s of quiet noise between them, as a wav; where the pause is (s)."""
    five, seven = (load_audio(V1_ASSETS / f, SAMPLE_RATE) for f in ("5_nicolas_2.wav", "7_yweweler_3.wav"))
    pause = 1e-3 * torch.randn(SAMPLE_RATE // 2, generator=torch.Generator().manual_seed(0))
    path = tmp_path / "five_seven.wav"
    sf.write(path, torch.cat([five, pause, seven]).numpy(), SAMPLE_RATE, subtype="FLOAT")
    return path, len(five) / SAMPLE_RATE, (len(five) + len(pause)) / SAMPLE_RATE


def _utterance(uid: str, path: Path, text: str, **segment) -> Utterance:
    duration = sf.info(str(path)).duration if path.exists() else 1.0
    return Utterance(id=uid, audio=str(path), duration=duration, text=text, speaker=uid.split("-")[0], **segment)


def test_align_writes_word_segments_that_read_back(tmp_path, capsys):
    pair, pause_start, pause_end = _pair_file(tmp_path)
    manifest, out = tmp_path / "in.jsonl", tmp_path / "words" / "segments.jsonl"
    write_manifest(manifest, [
        _utterance("a-pair", pair, "five seven"),
        _utterance("b-zero", V1_ASSETS / "0_jackson_0.wav", "Zero!"),
        _utterance("c-eleven", V1_ASSETS / "9_theo_4.wav", "nine eleven"),  # not a word the model knows
        _utterance("d-missing", tmp_path / "missing.wav", "two"),
        _utterance("e-eight", V1_ASSETS / "8_yweweler_1.wav", "eight"),
    ])
    assert main(["align", "--model", str(MODEL), str(manifest), "--out", str(out)]) == 1  # one unreadable file
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("asr:")]
    assert errors == [f"asr: error: {tmp_path / 'missing.wav'}: no such file",
                      "asr: skipped c-eleven: words the model cannot spell (eleven)"]
    summary = captured.out.strip().splitlines()[-1]
    assert summary.startswith("aligned 3 of 5 utterances (skipped 1 with words the model cannot spell, 1 unreadable); "
                              f"wrote 4 word segments to {out}, mean word duration ")

    segments = read_manifest(out)
    assert [(s.id, s.text, s.speaker) for s in segments] == [
        ("a-pair_000", "five", "a"), ("a-pair_001", "seven", "a"), ("b-zero_000", "zero", "b"),
        ("e-eight_000", "eight", "e")]
    assert all(s.is_segment for s in segments) and not list(tmp_path.glob("words/.*.partial"))
    five, seven = segments[:2]
    assert pause_start < five.end == seven.start < pause_end
    assert five.start == 0.0 and abs(seven.end - sf.info(str(pair)).duration) < 1e-3
    waves = [load_audio(s.audio, SAMPLE_RATE, s.start, s.end) for s in segments]
    assert transcribe_waves(load_model_file(MODEL), waves) == ["five", "seven", "zero", "eight"]
    mean = sum(s.duration for s in segments) / len(segments)
    assert summary.endswith(f"mean word duration {mean:.3f} s")


def test_segments_of_segments_keep_times_from_the_file_start(tmp_path):
    pair, pause_start, pause_end = _pair_file(tmp_path)
    manifest, out = tmp_path / "in.jsonl", tmp_path / "segments.jsonl"
    # the second half of the file (from the middle of the pause) as a segment line of its own
    middle = (pause_start + pause_end) / 2
    write_manifest(manifest, [_utterance("a-seven", pair, "seven", start=middle, end=sf.info(str(pair)).duration)])
    assert main(["align", "--model", str(MODEL), str(manifest), "--out", str(out)]) == 0
    (seven,) = read_manifest(out)
    assert seven.start == round(middle, 4) and seven.text == "seven"


def test_min_duration_leaves_short_words_out(tmp_path, capsys):
    pair, _, _ = _pair_file(tmp_path)
    manifest, out = tmp_path / "in.jsonl", tmp_path / "segments.jsonl"
    write_manifest(manifest, [_utterance("a-pair", pair, "five seven")])
    assert main(["align", "--model", str(MODEL), str(manifest), "--out", str(out), "--min-duration", "0.7"]) == 0
    kept = read_manifest(out)
    assert [s.text for s in kept] == ["seven"] and kept[0].duration >= 0.7  # five ends in the pause, at ~0.56 s
    assert capsys.readouterr().out.strip().endswith("; 1 word shorter than 0.7 s left out")


def test_mistakes_are_one_line_errors(tmp_path, capsys):
    manifest = tmp_path / "in.jsonl"
    write_manifest(manifest, [_utterance("b-zero", V1_ASSETS / "0_jackson_0.wav", "zero")])
    assert main(["align", "--model", str(MODEL), str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == f"asr: error: manifest not found: {tmp_path / 'none.jsonl'}"
    lm = tmp_path / "lm.pt"
    _save_language_model(lm)
    assert main(["align", "--model", str(lm), str(manifest), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (f"asr: error: {lm} is a lstm_lm model: it cannot cut words by CTC "
                                               "forced alignment (that needs ctc, joint)")
    for value in ("-1", "nan", "inf"):  # nan kept every word, as a comparison with NaN is never true
        assert main(["align", "--model", str(MODEL), str(manifest), "--out", str(tmp_path / "o"),
                     "--min-duration", value]) == 2
        assert (f"--min-duration must be a finite number of seconds, at least 0, not {float(value)}"
                in capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def _save_language_model(path: Path) -> None:
    from asr.models.lstm_lm import LSTMLM, LSTMLMConfig
    from asr.text.tokenizer import build_tokenizer

    tokenizer = build_tokenizer("char", ["zero one two"])
    model = LSTMLM(LSTMLMConfig(vocab_size=len(tokenizer), eos_id=tokenizer.eos_id, embed_dim=4, hidden=4, layers=1))
    save_model_file(path, model, None, tokenizer)


def test_json_lines_are_segment_lines(tmp_path):
    manifest, out = tmp_path / "in.jsonl", tmp_path / "segments.jsonl"
    write_manifest(manifest, [_utterance("b-zero", V1_ASSETS / "0_jackson_0.wav", "zero")])
    assert main(["align", "--model", str(MODEL), str(manifest), "--out", str(out)]) == 0
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert list(line) == ["id", "audio", "start", "end", "word", "speaker"]
    assert line["id"] == "b-zero_000" and line["word"] == "zero" and line["start"] == 0.0
