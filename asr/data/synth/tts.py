"""Speak a text with espeak-ng and store it as 16 kHz FLAC.

espeak-ng writes a 22.05 kHz WAV to stdout; we read it from memory, resample to
the 16 kHz every model in this project expects, trim the leading and trailing
silence espeak adds (keeping a little, as real recordings have) and write 16-bit
FLAC, LibriSpeech's format.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from asr.errors import UserError

SAMPLE_RATE = 16000
ESPEAK = "espeak-ng"
KEEP_SILENCE_S = 0.1  # silence left at each end after trimming
# Frames this far below the loudest one are silence. espeak-ng's silence is near
# digital zero, so a low bar costs nothing and spares quiet final fricatives.
SILENCE_DB = -55.0
_FRAME_S = 0.01


def espeak_path() -> str:
    """Path of the espeak-ng binary; a UserError if it is not installed."""
    path = shutil.which(ESPEAK)
    if path is None:
        raise UserError("espeak-ng not found on PATH (install it, e.g. 'apt-get install espeak-ng')")
    return path


def speak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """Synthesise `text`; returns float32 samples at `SAMPLE_RATE`, shape (n_samples,).

    `voice` is an espeak-ng -v name ('en-us+f3'), `speed` words per minute,
    `pitch` 0..99.
    """
    cmd = [espeak_path(), "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text]
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        raise RuntimeError(f"espeak-ng failed for voice {voice}: {result.stderr.decode(errors='replace')}")
    audio, rate = sf.read(io.BytesIO(result.stdout), dtype="float32")
    if audio.ndim == 2:
        audio = audio.mean(axis=1)  # (n, channels) -> (n,); espeak is mono, but be safe
    audio = soxr.resample(audio, rate, SAMPLE_RATE)
    return trim_silence(audio, SAMPLE_RATE)


def trim_silence(audio: np.ndarray, rate: int, keep_s: float = KEEP_SILENCE_S) -> np.ndarray:
    """Leave exactly `keep_s` seconds of silence at each end of `audio` (n,).

    Longer silences are cut; shorter ones (espeak-ng often starts speaking at once)
    are padded with zeros, so every utterance starts and ends the same way.

    >>> a = np.concatenate([np.zeros(16000), np.ones(1600), np.zeros(100)]).astype("float32")
    >>> len(trim_silence(a, 16000))
    4800
    """
    frame = max(1, int(rate * _FRAME_S))
    n_frames = len(audio) // frame
    if n_frames == 0:
        return audio
    # (n_frames * frame,) -> (n_frames, frame): per-frame energy in dB.
    energy = np.square(audio[: n_frames * frame].reshape(n_frames, frame)).mean(axis=1)
    db = 10 * np.log10(energy + 1e-12)
    loud = np.flatnonzero(db > db.max() + SILENCE_DB)
    if loud.size == 0:
        return audio
    speech = audio[loud[0] * frame: min(len(audio), (loud[-1] + 1) * frame)]
    pad = np.zeros(int(rate * keep_s), dtype=audio.dtype)
    return np.concatenate([pad, speech, pad])


NOISE_DBFS = (-65.0, -45.0)  # RMS of the noise floor, drawn per utterance


def add_noise_floor(audio: np.ndarray, seed: int) -> np.ndarray:
    """Add white noise at a level drawn from `NOISE_DBFS` (deterministic for `seed`).

    espeak-ng's pauses are exact digital zeros, which no microphone produces: their log-mel
    values sit at the feature floor (-23), inflate the normalisation statistics and leave
    nothing for a model to learn about real silence. A quiet room's noise floor fixes both.
    """
    rng = np.random.default_rng(seed)
    rms = 10 ** (rng.uniform(*NOISE_DBFS) / 20)
    return (audio + rng.normal(0.0, rms, size=audio.shape)).astype(np.float32)


def write_flac(path: Path, audio: np.ndarray) -> None:
    """Write `audio` (n,) float32 in [-1, 1] as 16-bit mono FLAC at `SAMPLE_RATE`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(audio, -1.0, 1.0), SAMPLE_RATE, format="FLAC", subtype="PCM_16")
