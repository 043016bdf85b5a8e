"""`asr transcribe` gives the same text for a recording whatever format holds it: wav, MP3, Ogg Vorbis, Opus,
and .m4a / .webm where an ffmpeg is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.cli.main import main


@pytest.mark.parametrize("kind", ["mp3", "ogg", "opus", "m4a", "webm"])
def test_a_compressed_copy_transcribes_as_its_wav(kind: str, digit_model: Path, fsdd_recordings: Path,
                                                  encode_audio, tmp_path: Path, capsys) -> None:
    wav = fsdd_recordings / "3_jackson_0.wav"  # a held-out take (0-4), not trained on
    copy = encode_audio(wav, tmp_path / f"three.{kind}")
    assert main(["transcribe", "--model", str(digit_model), str(wav), str(copy)]) == 0
    out, err = capsys.readouterr()
    texts = dict(line.split("\t") for line in out.strip().splitlines())
    assert err == "" and texts == {str(wav): "three", str(copy): "three"}
