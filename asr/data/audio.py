"""Reading audio files: the one module in ``asr`` that opens and decodes audio.

Everything libsndfile reads (WAV, FLAC, OGG/Vorbis, ...) comes back as a float32 mono tensor
at the rate the caller asks for. Every failure is a one-line :class:`asr.errors.UserError`
that names the file, so a bad file in a corpus never surfaces as a soundfile traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile
import soxr
import torch

from asr.errors import UserError

# Suffixes the corpus readers treat as audio; libsndfile decodes all of them.
AUDIO_EXTENSIONS = (".flac", ".wav", ".ogg")
READ_FRAMES = 1 << 20  # frames decoded at a time
NONFINITE = "NaN or infinite samples (a damaged float recording)"


class AudioInfo(NamedTuple):
    """What a file holds: as its header says (`audio_info`), or as decoding it finds (`verify_audio`)."""

    duration: float  # seconds
    sample_rate: int  # Hz
    num_samples: int  # per channel
    channels: int


def audio_info(path: str | Path) -> AudioInfo:
    """Read duration, rate, length and channel count from the header of an audio file.

    Fast (no decoding), so corpus preparation can call it on every file. A file whose header
    is intact but whose body is damaged passes here and fails later in :func:`load_audio`.

    Raises:
        UserError: the file is missing, is not audio, cannot be opened, or holds 0 samples.
    """
    path = _check_file(path)
    try:
        info = soundfile.info(str(path))
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(path, err) from None
    if info.frames <= 0:
        raise UserError(f"{path}: empty audio (0 samples)")
    return AudioInfo(info.frames / info.samplerate, int(info.samplerate), int(info.frames),
                     int(info.channels))


def verify_audio(path: str | Path) -> AudioInfo:
    """Decode every sample of a file, a block at a time, and return what it really holds.

    Finds what a header cannot show: a body cut short or damaged (a FLAC that loses sync), NaN or
    infinite samples. The duration counts the samples decoded. About 5000x real time on one core
    for FLAC.

    Raises:
        UserError: as `load_audio`, for the whole file.
    """
    path = _check_file(path)
    frames = 0
    try:
        with soundfile.SoundFile(str(path)) as f:
            rate, channels = int(f.samplerate), int(f.channels)
            while len(block := f.read(READ_FRAMES, dtype="float32", always_2d=True)):
                if not np.isfinite(block).all():
                    raise UserError(f"{path}: {NONFINITE}")
                frames += len(block)
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(path, err) from None
    if frames == 0:
        raise UserError(f"{path}: empty audio (0 samples)")
    return AudioInfo(frames / rate, rate, frames, channels)


def load_audio(path: str | Path, sample_rate: int = 16000, start: float = 0.0,
               end: float | None = None) -> torch.Tensor:
    """Decode an audio file, or the part of it from `start` to `end` seconds, into a mono waveform.

    Channels are averaged; a file at another rate is resampled with soxr (high quality).

    Args:
        path: any file libsndfile reads (wav, flac, ogg, ...).
        sample_rate: the rate of the returned waveform, in Hz.
        start, end: a segment in seconds (only its samples are read); end None is the file's end.
    Returns:
        waveform : Tensor, shape = (n_samples,), float32, nominally in [-1, 1].
    Raises:
        UserError: the file is missing, is not audio, is damaged, or holds 0 samples.
    """
    if sample_rate <= 0:
        raise UserError(f"sample rate must be positive, got {sample_rate}")
    path = _check_file(path)
    try:
        with soundfile.SoundFile(str(path)) as f:
            file_rate, first, last = f.samplerate, 0, f.frames
            if start > 0 or end is not None:
                first, last = round(start * file_rate), f.frames if end is None else round(end * file_rate)
                if last > f.frames + round(0.01 * file_rate):  # a hundredth of a second's rounding is fine
                    raise UserError(f"{path}: segment {start:.2f}-{end:.2f} s ends past the file's end "
                                    f"({f.frames / file_rate:.2f} s)")
                f.seek(min(first, f.frames))
            mono = _read_mono(f, max(0, min(last, f.frames) - first))
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(path, err) from None
    if len(mono) == 0:
        raise UserError(f"{path}: empty audio (0 samples)" if end is None
                        else f"{path}: empty segment ({start:.2f}-{end:.2f} s)")
    if file_rate != sample_rate:
        mono = soxr.resample(mono, file_rate, sample_rate, quality="HQ")
    return _checked_waveform(mono, path)


def _read_mono(f: soundfile.SoundFile, frames: int) -> np.ndarray:
    """Up to `frames` frames from the file's position, channels averaged, decoded a block at a time:
    memory follows what the file holds, not what a damaged header claims (4 billion frames, 32 GB)."""
    blocks = []
    while frames > 0:
        # always_2d gives (n_samples, channels) for mono and multichannel files alike.
        block = f.read(min(frames, READ_FRAMES), dtype="float32", always_2d=True)
        if len(block) == 0:
            break
        blocks.append(block.mean(axis=1))
        frames -= len(block)
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def _checked_waveform(mono: np.ndarray, path: Path) -> torch.Tensor:
    """The decoded samples as a tensor, refused in one line when no model could use them."""
    if len(mono) == 0:  # a handful of samples at a high rate resample to none at a low one
        raise UserError(f"{path}: too short ({len(mono)} samples at the model's rate)")
    if not np.isfinite(mono).all():  # float files can hold NaN or inf; one would poison a whole batch
        raise UserError(f"{path}: {NONFINITE}")
    return torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))


def audio_blocks(path: str | Path, sample_rate: int = 16000, block_seconds: float = 30.0) -> Iterator[torch.Tensor]:
    """Decode an audio file a block at a time: the same mono waveform as `load_audio`, in pieces.

    Memory stays at a block or two however long the file is (a 60-minute file is 230 MB as one
    float32 tensor at 16 kHz). Resampling is soxr's streaming resampler, which carries its filter
    state from block to block, so joined blocks equal a resampling of the whole file to within
    float rounding.

    Yields:
        block : Tensor, shape = (about block_seconds * sample_rate,), float32; the last one shorter.
    Raises:
        UserError: as `load_audio`, also for damage found part way (after the blocks before it).
    """
    if sample_rate <= 0:
        raise UserError(f"sample rate must be positive, got {sample_rate}")
    path = _check_file(path)
    try:
        with soundfile.SoundFile(str(path)) as f:
            if f.frames <= 0:
                raise UserError(f"{path}: empty audio (0 samples)")
            file_rate = f.samplerate
            stream = soxr.ResampleStream(file_rate, sample_rate, 1, dtype="float32", quality="HQ") \
                if file_rate != sample_rate else None
            block_frames = max(1, round(block_seconds * file_rate))
            while True:
                samples = f.read(block_frames, dtype="float32", always_2d=True)  # (n, channels)
                last = samples.shape[0] < block_frames
                mono = samples.mean(axis=1)
                if stream is not None:
                    mono = stream.resample_chunk(mono, last=last)
                if len(mono):
                    yield _checked_waveform(mono, path)
                if last:
                    return
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(path, err) from None


def waveform_from_array(samples, sample_rate: int, target_rate: int) -> torch.Tensor:
    """Samples already in memory (a numpy array or tensor) -> the mono float32 waveform `load_audio` gives.

    samples : shape = (n,) or (n, channels) as soundfile returns them; float in [-1, 1], or int16
    returns : Tensor, shape = (n * target_rate / sample_rate,), float32
    """
    array = samples.detach().cpu().numpy() if isinstance(samples, torch.Tensor) else np.asarray(samples)
    if array.dtype == np.int16:
        array = array.astype(np.float32) / 32768.0
    if array.ndim == 2:
        array = array.mean(axis=1)  # (n, channels) -> (n,)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise UserError(f"audio must be a non-empty 1-D array (or samples x channels), not shape {array.shape}")
    if sample_rate <= 0:
        raise UserError(f"sample rate must be positive, got {sample_rate}")
    mono = array.astype(np.float32, copy=False)
    if sample_rate != target_rate:
        mono = soxr.resample(mono, sample_rate, target_rate, quality="HQ")
    return torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))


def _check_file(path: str | Path) -> Path:
    """Turn the common path mistakes into clear messages before libsndfile sees them.

    libsndfile reports a missing file as "System error."; saying "no such file" is kinder.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: permission denied")
    return path


def _read_error(path: Path, err: Exception) -> UserError:
    """One line for a libsndfile failure; its own text is often empty or says "Error opening"."""
    reason = getattr(err, "error_string", "") or ""
    if "not recognised" in reason.lower():
        return UserError(f"{path}: not an audio file (format not recognised)")
    reason = " ".join(reason.split()).rstrip(".") or "damaged or unsupported audio"
    return UserError(f"{path}: cannot read audio ({reason})")
