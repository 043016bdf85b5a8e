"""Where a stream's audio comes from: a file (optionally paced at real time), standard input as WAV or
raw 16-bit PCM, or a microphone. Each gives (sample rate, iterator of mono float32 blocks), read a block
at a time so that a pipe or a microphone is transcribed while it is still sending."""

from __future__ import annotations

import queue
import time
import wave
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from asr.data.audio import checked_sample_rate
from asr.errors import UserError
from asr.transcription.inputs import source_of

BLOCK_SECONDS = 0.1  # audio read at a time: a tenth of a second adds at most that to the latency


def file_blocks(path: str, realtime: bool = False, block: float = BLOCK_SECONDS) -> tuple[int, Iterator[np.ndarray]]:
    """A file's audio at its own rate; with `realtime`, each block is handed on no sooner than it would have
    been heard (a stand-in for a live source, to measure latency)."""
    source = source_of(path, None)

    def blocks() -> Iterator[np.ndarray]:
        start, heard = time.monotonic(), 0
        for samples in source.blocks(source.rate, block):
            heard += len(samples)
            if realtime:
                time.sleep(max(0.0, start + heard / source.rate - time.monotonic()))
            yield samples.numpy()

    return source.rate, blocks()


def wav_blocks(stream: BinaryIO, block: float = BLOCK_SECONDS) -> tuple[int, Iterator[np.ndarray]]:
    """A WAV file (integer PCM, as `ffmpeg -f wav -` and `arecord` write) from a pipe, block by block."""
    try:
        reader = wave.open(stream, "rb")
    except (wave.Error, EOFError) as err:
        raise UserError(f"standard input is not a PCM WAV stream ({err}); raw samples need --raw-rate") from None
    width, channels, rate = reader.getsampwidth(), reader.getnchannels(), reader.getframerate()
    if width not in (1, 2, 4):
        raise UserError(f"standard input's WAV has {8 * width}-bit samples; 8, 16 and 32-bit PCM can stream")
    rate = checked_sample_rate(rate)
    frames = max(1, round(block * rate))

    def blocks() -> Iterator[np.ndarray]:
        while data := reader.readframes(frames):
            yield _mono(_pcm(data, width), channels)

    return rate, blocks()


def raw_blocks(stream: BinaryIO, rate: int, channels: int = 1, block: float = BLOCK_SECONDS
               ) -> tuple[int, Iterator[np.ndarray]]:
    """Headerless 16-bit little-endian PCM at `rate` from a pipe."""
    rate = checked_sample_rate(rate)
    size = max(1, round(block * rate)) * 2 * channels

    def blocks() -> Iterator[np.ndarray]:
        rest = b""
        while data := stream.read(size):
            data = rest + data
            whole = len(data) - len(data) % (2 * channels)
            data, rest = data[:whole], data[whole:]
            if data:
                yield _mono(_pcm(data, 2), channels)

    return rate, blocks()


def microphone_blocks(rate: int = 16000, block: float = BLOCK_SECONDS) -> tuple[int, Iterator[np.ndarray]]:
    """The default input device through `sounddevice` (pip install 'asr[mic]'), until interrupted."""
    try:
        import sounddevice
    except (ImportError, OSError) as err:  # OSError: the PortAudio library is missing
        raise UserError(f"a microphone needs the sounddevice package and PortAudio (pip install 'asr[mic]'): "
                        f"{err}") from None
    arrived: queue.Queue[np.ndarray] = queue.Queue()

    def blocks() -> Iterator[np.ndarray]:
        try:
            with sounddevice.InputStream(samplerate=rate, channels=1, dtype="float32", blocksize=round(block * rate),
                                         callback=lambda data, *_: arrived.put(data[:, 0].copy())):
                while True:
                    yield arrived.get()
        except sounddevice.PortAudioError as err:
            raise UserError(f"cannot record from the microphone: {err}") from None

    return rate, blocks()


def _pcm(data: bytes, width: int) -> np.ndarray:
    """Interleaved integer PCM -> float32 in [-1, 1] (WAV's 8-bit is unsigned)."""
    if width == 1:
        return (np.frombuffer(data, np.uint8).astype(np.float32) - 128) / 128
    kind = np.int16 if width == 2 else np.int32
    return np.frombuffer(data, f"<{np.dtype(kind).char}").astype(np.float32) / float(2 ** (8 * width - 1))


def _mono(samples: np.ndarray, channels: int) -> np.ndarray:
    return samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples
