"""Real audio for the feature tests, read with soundfile from ``../shared/data``, or from the sample of
the same corpora in ``tests/assets`` when that is absent (the root conftest's ``librispeech_subset``
and ``fsdd_recordings``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch


def _read(paths: list[Path], sample_rate: int) -> list[np.ndarray]:
    """float32 mono waveforms in [-1, 1], shape (S,) each; checks the sample rate."""
    waves = []
    for path in paths:
        wave, sr = sf.read(path, dtype="float32", always_2d=False)
        assert sr == sample_rate, f"{path} has {sr} Hz, expected {sample_rate}"
        waves.append(wave)
    return waves


@pytest.fixture(scope="session")
def librispeech_waves(librispeech_subset: Path) -> list[np.ndarray]:
    """Four 16 kHz dev-clean-2 utterances from four speakers (4.7 s to 12.9 s; the sample's: 2.3 s to 2.6 s)."""
    paths = sorted(librispeech_subset.rglob("*.flac"))
    assert len(paths) >= 4, f"fewer than 4 .flac files under {librispeech_subset}"
    step = len(paths) // 4  # spread over speakers, deterministically
    return _read(paths[::step][:4], 16000)


@pytest.fixture(scope="session")
def fsdd_waves(fsdd_recordings: Path) -> list[np.ndarray]:
    """Four 8 kHz spoken digits, the first recording of each of four speakers."""
    first_by_speaker: dict[str, Path] = {}
    for path in sorted(fsdd_recordings.glob("*.wav")):  # names are DIGIT_SPEAKER_INDEX.wav
        first_by_speaker.setdefault(path.stem.split("_")[1], path)
    assert len(first_by_speaker) >= 4, f"fewer than 4 speakers under {fsdd_recordings}"
    return _read([first_by_speaker[name] for name in sorted(first_by_speaker)[:4]], 8000)


@pytest.fixture(autouse=True)
def _single_thread() -> Iterator[None]:
    """Run these small tensor ops on one thread, restoring the setting afterwards.

    On a shared 2-core machine, intra-op threads contend with other processes and
    made the frontend ~20x slower than single-threaded in measurements.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
