"""Audio that libsndfile cannot read (AAC in .m4a/.mp4, Opus or Vorbis in .webm/.mkv), decoded by an ``ffmpeg`` process.

`asr.data.audio` calls `open_with_ffmpeg` for the suffixes in FFMPEG_EXTENSIONS and gets back an object that
reads like the ``soundfile.SoundFile`` it uses for everything else, so every reader there works on these files.
ffmpeg is looked for on PATH, then in the ``imageio-ffmpeg`` package (a pip wheel holding a static ffmpeg)
when that is installed; without either, reading such a file is a one-line UserError saying what to install.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from asr.errors import UserError

# Containers libsndfile 1.2 does not open; ffmpeg does (AAC, ALAC, Opus, Vorbis inside them).
FFMPEG_EXTENSIONS = (".m4a", ".aac", ".mp4", ".webm", ".mkv")
AU_HEADER = struct.Struct(">4sIIIII")  # magic, data offset, data size, encoding, rate, channels (Sun .au)
AU_FLOAT32 = 6  # the .au encoding code of 32-bit IEEE float
PIPE_FRAMES = 1 << 16  # frames read from the pipe at a time: 256 KB a channel


def needs_ffmpeg(path: Path) -> bool:
    """True for a file only ffmpeg decodes, told by its suffix (recorders often write X.M4A)."""
    return path.suffix.lower() in FFMPEG_EXTENSIONS


def find_ffmpeg() -> str | None:
    """The ffmpeg to run: the one on PATH (the user chose it), else imageio-ffmpeg's, else None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # optional: the `test` extra installs it, so tests need no system ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):  # RuntimeError: the package is there but its binary is not
        return None


class DecodedAudio:
    """A whole file decoded by ffmpeg, held as one mono channel at the file's own rate.

    The subset of ``soundfile.SoundFile`` that `asr.data.audio` uses (samplerate, channels, frames, seek, read).
    Decoding is all at once, because the length of a compressed stream is only known at its end and the readers
    ask for it first; keeping one channel (the readers average channels anyway) holds it to what `load_audio`
    of a WAV of the same length holds: 4 bytes a sample, 690 MB for an hour at 48 kHz.
    """

    def __init__(self, mono: np.ndarray, samplerate: int, channels: int) -> None:
        self.samples, self.samplerate, self.channels = mono, samplerate, channels
        self.frames, self.position = len(mono), 0

    def seek(self, frame: int) -> None:
        self.position = min(max(0, frame), self.frames)

    def read(self, frames: int, dtype: str = "float32", always_2d: bool = True) -> np.ndarray:
        """Up to `frames` frames from the position, as (n, 1): the channels were averaged when decoded."""
        block = self.samples[self.position:self.position + frames]
        self.position += len(block)
        return block.astype(dtype, copy=False)[:, None]

    def __enter__(self) -> DecodedAudio:
        return self

    def __exit__(self, *exc) -> bool:
        return False


def open_with_ffmpeg(path: Path) -> DecodedAudio:
    """Decode the first audio stream of `path` with ffmpeg, channels averaged, at the file's own rate.

    Raises:
        UserError: no ffmpeg is installed, or ffmpeg cannot decode the file (its own last line of error says why).
    """
    exe = find_ffmpeg()
    if exe is None:
        raise UserError(f"{path}: reading {path.suffix.lower()} needs ffmpeg (not found on PATH); install it, "
                        "e.g. apt install ffmpeg, or convert the file to wav/flac")
    # .au is the simplest container that carries rate and channels through a pipe: a 24-byte header,
    # then big-endian samples. -map 0:a:0 takes the first audio stream and skips video.
    command = [exe, "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
               "-c:a", "pcm_f32be", "-f", "au", "-"]
    # stderr goes to a file, not a pipe: a damaged file can fill a pipe with errors and stall ffmpeg.
    with tempfile.TemporaryFile() as log, \
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log) as process:
        try:
            rate, channels, mono = _read_au(process.stdout)
        except ValueError:
            rate, channels, mono = 0, 0, None  # ffmpeg wrote nothing usable: its stderr says why
        process.wait()
        log.seek(0)
        stderr = log.read().decode(errors="replace")
    if process.returncode != 0 or mono is None:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"ffmpeg exited with status {process.returncode}"
        if "matches no streams" in reason:
            reason = "no audio stream"
        raise UserError(f"{path}: cannot read audio (ffmpeg: {reason})")
    return DecodedAudio(mono, rate, channels)


def _read_au(pipe) -> tuple[int, int, np.ndarray]:
    """(rate, channels, mono samples) from a .au stream of 32-bit float samples, a block at a time.

    Raises:
        ValueError: the stream is not such a .au (ffmpeg failed before writing one).
    """
    header = pipe.read(AU_HEADER.size)
    if len(header) < AU_HEADER.size:
        raise ValueError("no .au header")
    magic, offset, _size, encoding, rate, channels = AU_HEADER.unpack(header)
    if magic != b".snd" or encoding != AU_FLOAT32 or rate <= 0 or channels <= 0:
        raise ValueError("not a float .au stream")
    pipe.read(offset - AU_HEADER.size)  # ffmpeg may put metadata text between header and samples
    blocks, frame_bytes = [], 4 * channels
    while chunk := pipe.read(PIPE_FRAMES * frame_bytes):
        chunk = chunk[:len(chunk) - len(chunk) % frame_bytes]  # a cut-off last frame has no use
        # (frames, channels) -> (frames,): averaged here so only one channel is ever held
        blocks.append(np.frombuffer(chunk, dtype=">f4").reshape(-1, channels).mean(axis=1, dtype=np.float32))
    mono = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    return rate, channels, mono
