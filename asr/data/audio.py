"""Reading audio files: the one module in ``asr`` that opens and decodes audio.

Everything libsndfile reads (WAV, FLAC, MP3, Ogg Vorbis and Opus, ...), from a path or a binary file object, and
.m4a/.aac/.mp4/.webm/.mkv files through ffmpeg when it is installed (`asr.data.ffmpeg_audio`),
comes back as a float32 mono tensor at the rate the caller asks for; so do samples already in
memory (`waveform_from_array`). Every failure is a one-line :class:`asr.errors.UserError`
that names the file, so a bad file in a corpus never surfaces as a soundfile traceback.
"""

from __future__ import annotations

import contextlib
import io
import math
import numbers
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import soundfile
import soxr
import torch

from asr.data.ffmpeg_audio import FFMPEG_EXTENSIONS, needs_ffmpeg, open_with_ffmpeg
from asr.errors import UserError

# Suffixes libsndfile 1.2 decodes. .opus is Ogg Opus: it decodes at 8, 12, 16, 24 or 48 kHz (the rate its header
# records when Opus has it, else 48 kHz); load_audio resamples as for any other rate.
SNDFILE_EXTENSIONS = (".flac", ".wav", ".ogg", ".opus", ".mp3")
# Suffixes every folder scan (asr prepare folder, asr transcribe DIR, LibriSpeech) treats as audio; the order
# is the order of preference when x.flac and x.mp3 sit side by side.
AUDIO_EXTENSIONS = SNDFILE_EXTENSIONS + FFMPEG_EXTENSIONS
READ_FRAMES = 1 << 20  # frames decoded at a time
NONFINITE = "NaN or infinite samples (a damaged float recording)"
MAX_CHANNELS = 8  # a 2-D array with one side at most this (7.1 sound) and the other longer is channels x samples
MIN_RATE, MAX_RATE = 1000, 1_000_000  # Hz: telephone speech is 8 kHz, audio interfaces record up to 768 kHz

AudioSource = str | os.PathLike | BinaryIO  # a path, or a binary file object (open(path, "rb"), io.BytesIO)


class AudioInfo(NamedTuple):
    """What a file holds: as its header says (`audio_info`), or as decoding it finds (`verify_audio`)."""

    duration: float  # seconds
    sample_rate: int  # Hz
    num_samples: int  # per channel
    channels: int


def audio_info(path: AudioSource) -> AudioInfo:
    """Read duration, rate, length and channel count from the header of an audio file.

    Fast (no decoding), so corpus preparation can call it on every file. A file whose header
    is intact but whose body is damaged passes here and fails later in :func:`load_audio`. A file read through
    ffmpeg (.m4a, .webm, ...) has no such header: it is decoded whole (AAC: about 1000x real time).

    Raises:
        UserError: the file is missing, is not audio, cannot be opened, or holds 0 samples.
    """
    source = _check_file(path)
    try:
        with _sound_file(source) as info:
            frames, rate, channels = info.frames, info.samplerate, info.channels
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(source, err) from None
    if frames <= 0:
        raise UserError(f"{source_label(source)}: empty audio (0 samples)")
    return AudioInfo(frames / rate, int(rate), int(frames), int(channels))


def verify_audio(path: AudioSource) -> AudioInfo:
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
        with _sound_file(path) as f:
            rate, channels = int(f.samplerate), int(f.channels)
            while len(block := f.read(READ_FRAMES, dtype="float32", always_2d=True)):
                if not np.isfinite(block).all():
                    raise UserError(f"{source_label(path)}: {NONFINITE}")
                frames += len(block)
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(path, err) from None
    if frames == 0:
        raise UserError(f"{source_label(path)}: empty audio (0 samples)")
    return AudioInfo(frames / rate, rate, frames, channels)


def load_audio(path: AudioSource, sample_rate: int = 16000, start: float = 0.0,
               end: float | None = None) -> torch.Tensor:
    """Decode an audio file, or the part of it from `start` to `end` seconds, into a mono waveform.

    Channels are averaged; a file at another rate is resampled with soxr (high quality).

    Args:
        path: any file libsndfile reads (wav, flac, mp3, ogg, opus, ...), a .m4a/.aac/.mp4/.webm/.mkv (needs ffmpeg),
            or a binary file object holding one that libsndfile reads from
            its start, as open(path, "rb") and io.BytesIO(data) give it (it is left where it was).
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
        with _sound_file(path) as f:
            file_rate, first, last = f.samplerate, 0, f.frames
            if start > 0 or end is not None:
                first, last = round(start * file_rate), f.frames if end is None else round(end * file_rate)
                if last > f.frames + round(0.01 * file_rate):  # a hundredth of a second's rounding is fine
                    raise UserError(f"{source_label(path)}: segment {start:.2f}-{end:.2f} s ends past the file's end "
                                    f"({f.frames / file_rate:.2f} s)")
                f.seek(min(first, f.frames))
            mono = _read_mono(f, max(0, min(last, f.frames) - first))
    except (soundfile.SoundFileError, RuntimeError, OSError) as err:
        raise _read_error(path, err) from None
    if len(mono) == 0:
        raise UserError(f"{source_label(path)}: empty audio (0 samples)" if end is None
                        else f"{source_label(path)}: empty segment ({start:.2f}-{end:.2f} s)")
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


def _checked_waveform(mono: np.ndarray, path: Path | BinaryIO | str) -> torch.Tensor:
    """The decoded samples as a tensor, refused in one line when no model could use them."""
    if len(mono) == 0:  # a handful of samples at a high rate resample to none at a low one
        raise UserError(f"{source_label(path)}: too short ({len(mono)} samples at the model's rate)")
    if not np.isfinite(mono).all():  # float files can hold NaN or inf; one would poison a whole batch
        raise UserError(f"{source_label(path)}: {NONFINITE}")
    return torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))


def audio_blocks(path: AudioSource, sample_rate: int = 16000, block_seconds: float = 30.0) -> Iterator[torch.Tensor]:
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
        with _sound_file(path) as f:
            if f.frames <= 0:
                raise UserError(f"{source_label(path)}: empty audio (0 samples)")
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


def checked_sample_rate(rate: object) -> int:
    """`rate` as an int when it is a whole number of Hz from MIN_RATE to MAX_RATE; else a one-line UserError.

    Checked before soxr sees it: a NaN rate kept its resampler busy for ever, and 0 was once taken as 16 kHz.
    >>> checked_sample_rate(8000.0)
    8000
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise UserError(f"sample_rate must be a number of Hz, not {type(rate).__name__}")
    if not (math.isfinite(rate) and rate == int(rate) and MIN_RATE <= rate <= MAX_RATE):
        raise UserError(f"sample_rate must be a whole number of Hz from {MIN_RATE} to {MAX_RATE}, not {rate!r}")
    return int(rate)


def waveform_from_array(samples: np.ndarray | torch.Tensor, sample_rate: int, target_rate: int) -> torch.Tensor:
    """Samples already in memory (a numpy array or tensor) -> the mono float32 waveform `load_audio` gives.

    samples : shape = (n,), (n, channels) or (channels, n), as `mono_samples` takes them
    returns : Tensor, shape = (n * target_rate / sample_rate,), float32
    Raises:
        UserError: as `mono_samples`, or a sample rate `checked_sample_rate` refuses.
    """
    rate = checked_sample_rate(sample_rate)
    mono = mono_samples(samples)
    if rate != target_rate:
        mono = soxr.resample(mono, rate, target_rate, quality="HQ")
    return torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))


def mono_samples(samples: np.ndarray | torch.Tensor) -> np.ndarray:
    """Samples in memory -> one float32 channel at their own rate, refused in one line if no model could use them.

    samples : shape = (n,); (n, channels) as soundfile reads them, or (channels, n) as torchaudio does, with at
              most MAX_CHANNELS channels (averaged); float in [-1, 1], or int16 / int32 PCM (scaled to [-1, 1])
    returns : ndarray, shape = (n,), float32, finite
    """
    array = _float_samples(samples)
    if array.size == 0:
        raise UserError(f"audio: empty array (shape {array.shape})")
    if array.ndim == 2:
        array = array.mean(axis=_channel_axis(array.shape))
    if array.ndim != 1:
        raise UserError(f"audio must be a 1-D array of samples (or 2-D with channels), not shape {array.shape}")
    if not np.isfinite(array).all():  # one NaN would turn every feature of the recording into NaN
        raise UserError(f"audio: {NONFINITE}")
    return array


def _float_samples(samples: np.ndarray | torch.Tensor) -> np.ndarray:
    """A numpy float32 copy or view of the samples; integers are PCM, scaled as soundfile scales them."""
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu()
        # numpy has no bfloat16: half-precision tensors become float32 before they cross over
        samples = (samples.float() if samples.is_floating_point() else samples).numpy()
    elif not isinstance(samples, np.ndarray):
        raise UserError(f"audio samples must be a numpy array or a torch tensor, not {type(samples).__name__}")
    if np.issubdtype(samples.dtype, np.floating):
        return samples.astype(np.float32, copy=False)
    if samples.dtype in (np.int16, np.int32):  # full scale is 2^15 or 2^31, as in a PCM file
        return samples.astype(np.float32) / float(np.iinfo(samples.dtype).max + 1)
    # int64 is what np.array([1, 2]) makes: whether it holds 16- or 32-bit PCM cannot be told
    raise UserError(f"audio samples must be float (in [-1, 1]) or int16 / int32 PCM, not {samples.dtype}")


def _channel_axis(shape: tuple[int, ...]) -> int:
    """The axis of a 2-D array that holds channels: the short one, when it is short enough to be channels and the
    other is longer. Otherwise the shape cannot say (a batch of recordings looks like channels), so it is refused.
    >>> _channel_axis((2, 16000)), _channel_axis((16000, 2))
    (0, 1)
    """
    short = int(np.argmin(shape))
    if shape[short] <= MAX_CHANNELS < shape[1 - short]:
        return short
    raise UserError(f"audio of shape {shape} is ambiguous: give (samples,), (samples, channels) or (channels, samples) "
                    f"with at most {MAX_CHANNELS} channels; several recordings go in a list")


def _check_file(path: AudioSource) -> Path | BinaryIO:
    """Turn the common path mistakes into clear messages before libsndfile sees them.

    libsndfile reports a missing file as "System error."; saying "no such file" is kinder.
    """
    if callable(getattr(path, "read", None)):
        return _check_file_object(path)
    if not isinstance(path, (str, os.PathLike)):
        raise UserError(f"audio must be a path or a binary file object, not {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: permission denied")
    return path


def _check_file_object(f: BinaryIO) -> BinaryIO:
    """What libsndfile needs of a file object: bytes, and seek and tell (it reads a header, then jumps)."""
    if isinstance(f, io.TextIOBase):
        raise UserError(f"{source_label(f)}: a text file object; open audio in binary mode ('rb')")
    if getattr(f, "closed", False):
        raise UserError(f"{source_label(f)}: the file object is closed")
    seekable = getattr(f, "seekable", None)
    if not callable(getattr(f, "seek", None)) or not callable(getattr(f, "tell", None)) \
            or (callable(seekable) and not seekable()):
        raise UserError(f"{source_label(f)}: the file object cannot seek (a pipe or socket?); read it into io.BytesIO")
    return f


@contextlib.contextmanager
def _sound_file(source: Path | BinaryIO) -> Iterator[soundfile.SoundFile]:
    """libsndfile on a path or a file object. A file object is put back where it was, so that it can be read
    again: transcription reads its header, then its samples. A .m4a, .webm, ... path is decoded by ffmpeg."""
    if isinstance(source, Path) and needs_ffmpeg(source):
        with open_with_ffmpeg(source) as f:
            yield f
        return
    if isinstance(source, Path):
        with soundfile.SoundFile(str(source)) as f:
            yield f
        return
    start = source.tell()
    try:
        with soundfile.SoundFile(source) as f:
            yield f
    finally:
        source.seek(start)


def source_label(source: AudioSource) -> str:
    """How messages name an audio file: its path; a file object's name (open() keeps the path), else its type."""
    if isinstance(source, (str, os.PathLike)):
        return str(Path(source))
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else f"<{type(source).__name__}>"


def _read_error(path: Path | BinaryIO, err: Exception) -> UserError:
    """One line for a libsndfile failure; its own text is often empty or says "Error opening"."""
    reason = getattr(err, "error_string", "") or ""
    if "not recognised" in reason.lower():
        return UserError(f"{source_label(path)}: not an audio file (format not recognised)")
    reason = " ".join(reason.split()).rstrip(".") or "damaged or unsupported audio"
    return UserError(f"{source_label(path)}: cannot read audio ({reason})")


def too_short(name: str, num_samples: int, rate: int, min_seconds: float) -> UserError:
    """The error for a recording `name` of `num_samples` at `rate` Hz, shorter than the model's analysis
    frame (`min_seconds`): it would leave the encoder nothing to read (a torch RuntimeError once)."""
    n = num_samples
    return UserError(f"{name}: too short ({n} sample{'' if n == 1 else 's'} at {rate} Hz, {1000 * n / rate:.1f} ms): "
                     f"the model needs at least {1000 * min_seconds:g} ms (one analysis frame)")
