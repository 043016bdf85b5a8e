"""`asr transcribe` on good and bad files in one call."""

import json
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from asr.cli.main import main


def _good_and_bad_files(fsdd_recordings: Path, tmp_path: Path) -> tuple[dict[Path, str], list[Path]]:
    """Held-out takes (0-4) as a plain 8 kHz wav, a 3-channel 44.1 kHz wav and a FLAC; three bad files."""
    good = {}
    plain = fsdd_recordings / "3_jackson_0.wav"
    good[plain] = "three"
    audio, rate = sf.read(fsdd_recordings / "8_nicolas_1.wav", dtype="float32")
    up = soxr.resample(audio, rate, 44100)
    three_channel = tmp_path / "eight_44k_3ch.wav"
    sf.write(three_channel, np.stack([up, 0.5 * up, up], axis=1), 44100)
    good[three_channel] = "eight"
    audio, rate = sf.read(fsdd_recordings / "6_yweweler_2.wav", dtype="float32")
    flac = tmp_path / "six.flac"
    sf.write(flac, audio, rate)
    good[flac] = "six"
    missing = tmp_path / "missing.wav"
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype="float32"), 16000)
    return good, [missing, text, empty]


def test_bad_files_get_one_line_each_and_good_files_are_transcribed(digit_model, fsdd_recordings, tmp_path, capsys):
    good, bad = _good_and_bad_files(fsdd_recordings, tmp_path)
    files = [bad[0], *list(good)[:2], bad[1], list(good)[2], bad[2]]
    status = main(["transcribe", "--model", str(digit_model), *map(str, files)])
    out, err = capsys.readouterr()
    assert status == 1
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 3
    for path, line in zip(bad, err_lines):
        assert line.startswith("asr: error:") and str(path) in line
    transcripts = dict(line.split("\t") for line in out.strip().splitlines())
    assert set(transcripts) == {str(p) for p in good}
    assert {p: transcripts[str(p)] for p in good} == good


def test_json_output_and_batch_independence(digit_model, fsdd_recordings, capsys):
    files = [str(fsdd_recordings / f"{d}_theo_{t}.wav") for d, t in [(0, 3), (9, 4), (5, 0)]]
    assert main(["transcribe", "--model", str(digit_model), "--json", *files]) == 0
    together = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["path"] for row in together] == files
    for row in together:
        assert main(["transcribe", "--model", str(digit_model), row["path"]]) == 0
        assert capsys.readouterr().out.strip().split("\t")[1] == row["text"]


def test_missing_model_is_a_one_line_error(tmp_path, capsys):
    assert main(["transcribe", "--model", str(tmp_path / "none.pt"), "x.wav"]) == 2
    assert capsys.readouterr().err.strip() == f"asr: error: model file not found: {tmp_path / 'none.pt'}"
