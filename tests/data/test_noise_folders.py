"""Noise recordings and room impulse responses from folders in MUSAN's and RIRS_NOISES's layouts (made at
test time)."""

import random
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from asr.data.noise_folders import ImpulseResponses, NoiseRecordings
from asr.errors import UserError


def _write(path: Path, seconds: float, rate: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = np.random.default_rng(seed).normal(0, 0.1, int(seconds * rate)).astype(np.float32)
    soundfile.write(path, samples, rate)


@pytest.fixture
def musan(tmp_path) -> Path:
    """MUSAN's tree: music/, noise/ and speech/ with sources below, README and annotations beside."""
    root = tmp_path / "musan"
    _write(root / "music" / "fma" / "music-fma-0000.wav", 3.0, 16000, 0)
    _write(root / "noise" / "free-sound" / "noise-free-sound-0000.wav", 0.25, 16000, 1)  # shorter than asked
    _write(root / "speech" / "librivox" / "speech-librivox-0000.flac", 2.0, 8000, 2)  # another rate
    (root / "README").write_text("MUSAN")
    (root / "noise" / "free-sound" / "ANNOTATIONS").write_text("noise-free-sound-0000 ...")
    return root


def test_every_recording_of_a_musan_tree_is_noise_and_pieces_have_the_length_asked(musan):
    noises = NoiseRecordings.scan(musan)
    assert sorted(Path(p).parent.parent.name for p, _ in noises.files) == ["music", "noise", "speech"]
    rng = random.Random(0)
    pieces = [noises.piece(rng, 16000, 16000) for _ in range(30)]
    assert all(p.shape == (16000,) and p.pow(2).mean() > 1e-3 for p in pieces)  # short files repeated, not padded
    assert len({tuple(p[:4].tolist()) for p in pieces}) > 10  # files and offsets drawn anew
    again = random.Random(0)
    assert torch.equal(noises.piece(again, 16000, 16000), pieces[0])


def test_rirs_noises_responses_leave_its_noise_recordings_out(tmp_path):
    root = tmp_path / "RIRS_NOISES"
    _write(root / "simulated_rirs" / "smallroom" / "Room001" / "Room001-00001.wav", 0.3, 16000, 0)
    _write(root / "real_rirs_isotropic_noises" / "RVB2014_type1_rir_largeroom1_near_angla.wav", 0.5, 16000, 1)
    _write(root / "real_rirs_isotropic_noises" / "RVB2014_type1_noise_largeroom1_1.wav", 2.0, 16000, 2)
    _write(root / "pointsource_noises" / "noise-free-sound-0001.wav", 1.0, 16000, 3)
    responses = ImpulseResponses.scan(root)
    assert {Path(p).name for p in responses.files} == {"Room001-00001.wav",
                                                       "RVB2014_type1_rir_largeroom1_near_angla.wav"}
    assert len(responses.pick(random.Random(0), 8000)) in (2400, 4000)


def test_a_folder_without_audio_is_refused_in_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("no audio here")
    with pytest.raises(UserError, match=r"^data.noise_dir: no audio files in .*notes|^data.noise_dir: no audio"):
        NoiseRecordings.scan(tmp_path)
    with pytest.raises(UserError, match="data.rir_dir: no such folder"):
        ImpulseResponses.scan(tmp_path / "missing")
    _write(tmp_path / "pointsource_noises" / "noise-1.wav", 0.5, 16000, 0)
    with pytest.raises(UserError, match="holds only noise recordings"):
        ImpulseResponses.scan(tmp_path)
