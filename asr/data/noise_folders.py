"""Folders of recordings for augmentation: noise to mix into speech (MUSAN's layout or any tree of audio
files) and room impulse responses to play it in (RIRS_NOISES's layout or any tree of them).

A folder is scanned once, headers only; a training read then decodes just the piece it needs, so a
100-hour noise corpus costs its file list in memory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch

from asr.data.audio import AUDIO_EXTENSIONS, audio_info, load_audio
from asr.errors import UserError

# RIRS_NOISES keeps noise recordings beside its responses: pointsource_noises/ and, in
# real_rirs_isotropic_noises/, files named *noise* (RVB2014_type1_noise_largeroom1_1.wav)
NOT_RESPONSES = ("pointsource_noises",)


def _audio_files(folder: Path, setting: str) -> list[Path]:
    if not folder.is_dir():
        raise UserError(f"{setting}: no such folder: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
    if not files:
        raise UserError(f"{setting}: no audio files in {folder} (looked for {', '.join(AUDIO_EXTENSIONS)})")
    return files


@dataclass(frozen=True)
class NoiseRecordings:
    """Every audio file under a folder, with its duration; `piece` cuts a random stretch of one."""

    files: tuple[tuple[str, float], ...]  # (path, seconds)

    @classmethod
    def scan(cls, folder: str | Path, setting: str = "data.noise_dir") -> NoiseRecordings:
        """The folder's audio files (any depth: MUSAN's music/, noise/ and speech/ are all taken)."""
        return cls(tuple((str(p), audio_info(p).duration) for p in _audio_files(Path(folder), setting)))

    def piece(self, rng: random.Random, num_samples: int, sample_rate: int) -> torch.Tensor:
        """`num_samples` of noise from a file and offset drawn from `rng`; a file shorter than that is
        repeated end to end."""
        path, duration = self.files[rng.randrange(len(self.files))]
        seconds = num_samples / sample_rate
        if duration > seconds:
            start = rng.uniform(0.0, duration - seconds)
            noise = load_audio(path, sample_rate, start, start + seconds)
        else:
            noise = load_audio(path, sample_rate)
        if len(noise) < num_samples:
            noise = noise.repeat(-(-num_samples // len(noise)))
        return noise[:num_samples]


@dataclass(frozen=True)
class ImpulseResponses:
    """Every room impulse response under a folder; `pick` reads one (a multichannel one as load_audio does:
    its channels averaged)."""

    files: tuple[str, ...]

    @classmethod
    def scan(cls, folder: str | Path, setting: str = "data.rir_dir") -> ImpulseResponses:
        """The folder's audio files but RIRS_NOISES's noise recordings (pointsource_noises/, *noise* files)."""
        files = [p for p in _audio_files(Path(folder), setting)
                 if not set(NOT_RESPONSES) & set(p.parts) and "noise" not in p.name.lower()]
        if not files:
            raise UserError(f"{setting}: {folder} holds only noise recordings, no impulse responses")
        return cls(tuple(map(str, files)))

    def pick(self, rng: random.Random, sample_rate: int) -> torch.Tensor:
        return load_audio(self.files[rng.randrange(len(self.files))], sample_rate)
