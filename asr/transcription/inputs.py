"""What `Recognizer.transcribe` takes, checked where it comes in: each input becomes a `Source` that knows its
length and how to read itself, or a one-line UserError that says what is wrong with it.

Accepted, alone or in a list (or tuple) of them:
  a path (str or os.PathLike) to anything libsndfile reads;
  a binary file object (open(path, "rb"), io.BytesIO(data)) at the start of its audio; it is left where it was;
  a numpy array or torch tensor of samples, with `sample_rate` (never assumed: a wrong rate gives fluent
  nonsense, not an error): shape (n,), (n, channels) or (channels, n) with at most 8 channels (averaged);
  float in [-1, 1], or int16 / int32 PCM.
Refused: a plain list of numbers (one recording's samples, or a list of inputs? numpy.asarray says which),
None, bytes, text file objects and anything else, each in one line naming what it got.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from asr.data.audio import (
    audio_blocks,
    audio_info,
    checked_sample_rate,
    load_audio,
    mono_samples,
    source_label,
    waveform_from_array,
)
from asr.errors import UserError

Audio = str | os.PathLike | BinaryIO | np.ndarray | torch.Tensor

ACCEPTED = "a path, a binary file object, or a numpy array or torch tensor with sample_rate="
NEEDS_RATE = "audio: an array of samples needs sample_rate= (the rate it was recorded at, in Hz; none is assumed)"


@dataclass(frozen=True)
class Source:
    """One checked input: what messages call it, its length at its own rate, and where its samples are."""

    name: str
    num_samples: int  # at `rate`
    rate: int  # Hz
    data: str | os.PathLike | BinaryIO | np.ndarray  # a file, or mono float32 samples at `rate`

    @property
    def duration(self) -> float:
        return self.num_samples / self.rate

    def wave(self, rate: int) -> torch.Tensor:
        """The whole recording, mono at `rate`: Tensor, shape = (num_samples * rate / self.rate,)."""
        if isinstance(self.data, np.ndarray):
            return waveform_from_array(self.data, self.rate, rate)
        return load_audio(self.data, rate)

    def blocks(self, rate: int, seconds: float) -> Iterator[torch.Tensor]:
        """The recording mono at `rate`, `seconds` at a time (a file is decoded a block at a time)."""
        if isinstance(self.data, np.ndarray):
            wave, step = self.wave(rate), round(seconds * rate)
            return (wave[i:i + step] for i in range(0, len(wave), step))
        return audio_blocks(self.data, rate, seconds)


def as_inputs(audio: object, sample_rate: object) -> tuple[list, bool]:
    """(the inputs of a `transcribe` call, whether it was given one input rather than a list of them).

    Raises:
        UserError: for mistakes of the whole call: a bad sample_rate, a list of numbers, arrays without a rate.
    """
    if sample_rate is not None:
        checked_sample_rate(sample_rate)
    if not isinstance(audio, (list, tuple)):
        items, single = [audio], True
    elif audio and all(_is_number(x) for x in audio):
        raise UserError("a list of numbers is ambiguous (one recording's samples, or a list of inputs?): pass "
                        "numpy.asarray(samples) with sample_rate=, or a list of arrays or paths")
    elif len(audio) == 2 and _is_array(audio[0]) and _is_number(audio[1]):
        raise UserError("(samples, rate) is two inputs, not one: pass transcribe(samples, sample_rate=rate)")
    else:
        items, single = list(audio), False
    if sample_rate is None and any(_is_array(x) for x in items):
        raise UserError(NEEDS_RATE)
    return items, single


def source_of(item: object, sample_rate: int | None) -> Source:
    """`item` checked and measured (a file's header is read, an array made mono); a UserError if it is not audio."""
    if _is_array(item):
        if sample_rate is None:
            raise UserError(NEEDS_RATE)
        mono = mono_samples(item)
        return Source("audio", len(mono), checked_sample_rate(sample_rate), mono)
    if isinstance(item, (str, os.PathLike)) or callable(getattr(item, "read", None)):
        info = audio_info(item)  # also refuses a missing file, a text or closed file object
        return Source(source_label(item), info.num_samples, info.sample_rate, item)
    raise UserError(_not_audio(item))


def display_name(source: Source) -> str:
    """The short name a progress bar shows: a file's name without its folder."""
    return Path(source.name).name or source.name


def _not_audio(item: object) -> str:
    """Why `item` is not one input, in one line naming its type."""
    kind = type(item).__name__
    if item is None:
        return f"audio is None: give {ACCEPTED}"
    if isinstance(item, (list, tuple)):
        return f"a {kind} inside the list is not one recording: pass numpy.asarray(samples) with sample_rate="
    if isinstance(item, (bytes, bytearray, memoryview)):
        return f"{kind} are not audio: wrap a file's bytes in io.BytesIO"
    return f"cannot transcribe an object of type {kind}: give {ACCEPTED}"


def _is_array(x: object) -> bool:
    return isinstance(x, (np.ndarray, torch.Tensor))


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Number)  # numpy's scalars are registered as numbers too
