"""Compressed formats through every reader: MP3, Ogg Vorbis and Opus by libsndfile; .m4a and .webm by ffmpeg."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from asr.data import ffmpeg_audio
from asr.data.audio import AUDIO_EXTENSIONS, audio_blocks, audio_info, load_audio, verify_audio
from asr.data.folder import prepare_folder
from asr.data.manifest import read_manifest
from asr.errors import UserError

FORMATS = ["mp3", "ogg", "opus", "m4a", "webm"]
# Encoders pad: AAC to a whole 1024-sample frame (at 8 kHz here), the others less; 2048 samples is 0.26 s at 8 kHz.
PADDING = 2048


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.fixture(scope="module")
def wav(fsdd_recordings: Path) -> Path:
    return fsdd_recordings / "7_jackson_0.wav"


@pytest.mark.parametrize("kind", FORMATS)
def test_each_format_reads_as_its_wav_source(kind: str, wav: Path, encode_audio, tmp_path: Path) -> None:
    path = encode_audio(wav, tmp_path / f"seven.{kind}")
    source = load_audio(wav, 8000).numpy()
    wave = load_audio(path, 8000)
    assert wave.dtype == torch.float32
    assert abs(len(wave) - len(source)) <= PADDING
    assert _correlation(source, wave.numpy()) > 0.98  # lossy, but the same waveform sample for sample
    info, decoded = audio_info(path), verify_audio(path)
    assert info.channels == 1 and info.num_samples == decoded.num_samples
    assert info.duration == pytest.approx(len(source) / 8000, abs=PADDING / 8000)
    # the streamed blocks join to load_audio's waveform; and a segment is its slice (away from the edges,
    # where resampling a piece differs from resampling the whole: webm's Opus decodes at 48 kHz)
    assert torch.allclose(torch.cat(list(audio_blocks(path, 8000, block_seconds=0.1))), wave, atol=1e-4)
    segment = load_audio(path, 8000, 0.1, 0.3)
    assert len(segment) == 1600 and torch.allclose(segment[100:-100], wave[900:2300], atol=1e-3)


def test_every_format_is_taken_by_a_folder_scan(wav: Path, encode_audio, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    made = []
    for kind in FORMATS:
        try:
            made.append(encode_audio(wav, corpus / f"{kind}.{kind}"))
        except pytest.skip.Exception:  # no ffmpeg: the libsndfile formats are still checked
            continue
        (corpus / f"{kind}.txt").write_text("seven")
    assert all(path.suffix in AUDIO_EXTENSIONS for path in made)
    report = prepare_folder(corpus, tmp_path / "manifest.jsonl")
    assert (report.written, report.problems) == (len(made), 0)
    assert sorted(u.id for u in read_manifest(tmp_path / "manifest.jsonl")) == sorted(p.stem for p in made)


def test_without_ffmpeg_an_m4a_is_a_one_line_error(wav: Path, encode_audio, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.m4a"
    path.write_bytes(b"\0" * 64)  # never opened: the missing ffmpeg is found first
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on PATH ...
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # ... nor imageio-ffmpeg (import raises ImportError)
    assert ffmpeg_audio.find_ffmpeg() is None
    for read in (load_audio, audio_info, verify_audio, lambda p: next(audio_blocks(p))):
        with pytest.raises(UserError) as err:
            read(path)
        assert str(err.value) == (f"{path}: reading .m4a needs ffmpeg (not found on PATH); install it, "
                                  "e.g. apt install ffmpeg, or convert the file to wav/flac")


def test_ffmpeg_is_looked_for_on_path_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    assert ffmpeg_audio.find_ffmpeg() == shutil.which("ffmpeg") == str(fake)


def test_a_damaged_m4a_is_a_one_line_error(wav: Path, encode_audio, tmp_path: Path) -> None:
    path = encode_audio(wav, tmp_path / "x.m4a")
    path.write_bytes(b"not an mp4 at all" * 10)
    with pytest.raises(UserError, match=r"x\.m4a: cannot read audio \(ffmpeg: .+\)$") as err:
        load_audio(path)
    assert "\n" not in str(err.value)
