"""`asr transcribe --stream`: JSON lines from a file, a WAV pipe and raw PCM, each the whole file's transcript;
mistakes in one line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave

import numpy as np
import soundfile as sf

from asr.cli.main import main

RECORDINGS = ["3_theo_4.wav"]


def events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def speech(fsdd_recordings) -> np.ndarray:
    """A spoken digit and 0.5 s of quiet after it (8 kHz); the digit models hear one word per recording."""
    gap = np.zeros(4000, dtype=np.float32)
    return np.concatenate([part for name in RECORDINGS
                           for part in (sf.read(fsdd_recordings / name, dtype="float32")[0], gap)])


def test_stream_of_a_file_prints_partials_and_finals(digit_stream_model, fsdd_recordings, tmp_path, capsys):
    path = tmp_path / "three.wav"
    sf.write(path, speech(fsdd_recordings), 8000)
    assert main(["transcribe", "--model", str(digit_stream_model), str(path)]) == 0
    whole = capsys.readouterr().out.split("\t")[1].strip()
    assert main(["transcribe", "--model", str(digit_stream_model), "--stream", "--carry-state", str(path)]) == 0
    rows = events(capsys.readouterr().out)
    finals = [r for r in rows if r["type"] == "final"]
    assert " ".join(r["text"] for r in finals) == whole and whole == "three"
    assert {r["type"] for r in rows} == {"partial", "final"}
    assert all(r["start"] < r["end"] <= r["at"] for r in finals)
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)


def test_stream_from_a_wav_pipe_and_raw_pcm(digit_stream_model, fsdd_recordings):
    audio = speech(fsdd_recordings)
    pcm = (audio * 32767).astype("<i2").tobytes()
    wav = io.BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(pcm)
    command = [sys.executable, "-m", "asr.cli.main", "transcribe", "--model", str(digit_stream_model), "--stream",
               "--carry-state"]
    texts = []
    for extra, data in (([], wav.getvalue()), (["--raw-rate", "8000"], pcm)):
        done = subprocess.run([*command, *extra, "-"], input=data, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        texts.append(" ".join(r["text"] for r in events(done.stdout.decode()) if r["type"] == "final"))
    assert texts == ["three", "three"]
    done = subprocess.run([*command, "-"], input=b"not audio", capture_output=True, timeout=120)
    assert done.returncode == 2 and done.stderr.decode().count("\n") == 1
    assert "not a PCM WAV stream" in done.stderr.decode()


def test_stream_mistakes_are_one_line(digit_model, digit_stream_model, fsdd_recordings, capsys):
    path = str(fsdd_recordings / RECORDINGS[0])
    for args, message in (
        ([digit_model, "--stream", path], "reads whole utterances"),
        ([digit_stream_model, "--stream", path, path], "one input"),
        ([digit_stream_model, "--stream", "--raw-rate", "8000", path], "--raw-rate describes standard input"),
        ([digit_stream_model, "--realtime", path], "go with --stream"),
        ([digit_stream_model, "--carry-state", path], "go with --stream"),
    ):
        assert main(["transcribe", "--model", str(args[0]), *args[1:]]) != 0
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
