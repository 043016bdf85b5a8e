"""A long recording in, pieces a recogniser can take out: split on pauses, at most `max_chunk` long.

`Chunker` reads a recording a block at a time and gives back each stretch of speech, with `pad`
seconds of audio either side, as soon as it has ended: memory holds the current stretch and a
little history, never the recording. Speech starts where the detector's probability reaches
`threshold` and ends after `min_silence` seconds below `threshold - 0.15` (Silero's hysteresis).

Speech that runs on past `max_chunk` seconds is cut at its quietest window in the chunk's last third,
and the two pieces overlap by `overlap` seconds either side of the cut so that a word spoken across
it is heard whole by at least one of them. Each piece says which stretch it owns (`keep_from` to
`keep_to`, meeting at the cut); a word belongs to the piece that owns its middle.

>>> probs = torch.tensor([0.0] * 10 + [0.9] * 20 + [0.0] * 20)  # 0.32 s silence, 0.64 s speech
>>> chunker = Chunker(lambda wave, history: probs[:len(wave) // 512], 16000, 512, ChunkingOptions())
>>> [(c.start, len(c.wave)) for c in chunker.feed(torch.zeros(50 * 512)) + chunker.finish()]
[(2720, 15040)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from asr.errors import UserError

NEG_GAP = 0.15  # speech ends below threshold - NEG_GAP (Silero's default hysteresis)
MIN_CHUNK = 2.0  # shortest max_chunk (s): a piece must hold two overlaps, a pad and some speech


def check_max_chunk(seconds: float, name: str = "max_chunk") -> float:
    """`seconds` when it is 0 (never cut) or at least MIN_CHUNK; else a UserError naming it as `name`
    (the option as the user wrote it: --max-chunk on the command line).

    >>> check_max_chunk(30.0)
    30.0
    """
    if not (seconds == 0 or seconds >= MIN_CHUNK):  # NaN fails both
        raise UserError(f"{name} must be 0 (never cut) or at least {MIN_CHUNK:g} s, not {seconds:g}")
    return seconds


@dataclass(frozen=True)
class ChunkingOptions:
    """How a long recording is cut (seconds).

    max_chunk  : longest piece, pads and overlaps included (30 s: the longest LibriSpeech utterance
                 is 35 s, and a BiLSTM's cost per second does not grow with length)
    overlap    : audio shared by two pieces either side of a cut inside speech (1 s: longer than
                 half of nearly every word); 0 for models that cannot time words
    threshold  : speech probability that starts speech
    min_silence: a pause at least this long ends a stretch of speech (0.3 s: the generated corpus
                 pauses 0.2 s between words; the mini recipe's models mishear words after pauses
                 longer than those they were trained on, so pauses inside a piece should be short)
    min_speech : shorter stretches (clicks, breaths) are dropped
    pad        : audio kept before and after speech (0.15 s: speech onsets the detector finds a
                 window late, and training utterances carry 0.1 s of silence at each end)
    """

    max_chunk: float = 30.0
    overlap: float = 1.0
    threshold: float = 0.5
    min_silence: float = 0.3
    min_speech: float = 0.1
    pad: float = 0.15

    @classmethod
    def for_max_chunk(cls, max_chunk: float, overlap: bool = True) -> ChunkingOptions:
        """Pieces of at most `max_chunk` s (checked), overlapping by 1 s (less for pieces under 8 s),
        or not at all (models whose words have no times to share the overlap out by)."""
        check_max_chunk(max_chunk)
        return cls(max_chunk, min(1.0, max_chunk / 8) if overlap else 0.0)

    def __post_init__(self) -> None:
        if self.max_chunk < 3 * (2 * self.overlap + self.pad) or self.max_chunk <= 0:
            raise ValueError(f"max_chunk {self.max_chunk:g} s is too short for overlaps of {self.overlap:g} s")
        if self.min_silence < 2 * self.pad:
            raise ValueError("min_silence must be at least twice the pad, so that padded stretches never overlap")


@dataclass(frozen=True)
class Chunk:
    start: int  # first sample, counted from the start of the recording
    wave: torch.Tensor  # (samples,)
    keep_from: float  # seconds from the start of the recording: the stretch this piece owns
    keep_to: float

    def owns(self, start: float, end: float) -> bool:
        """Whether a word heard from `start` to `end` (seconds in the recording) belongs to this piece."""
        middle = (start + end) / 2
        return self.keep_from <= middle < self.keep_to


Detector = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]  # (wave, history) -> probs per window


class Chunker:
    """`feed(block)` -> finished pieces, then `finish()` -> the rest; blocks are consecutive audio."""

    def __init__(self, detector: Detector, sample_rate: int, window: int, options: ChunkingOptions):
        """detector: speech probability per `window` samples; its `history` attribute, if any, says how
        many samples of audio before a block it reads."""
        self.detector, self.rate, self.window, self.opts = detector, sample_rate, window, options
        self.history = getattr(detector, "history", 0)
        self.audio = torch.zeros(0)  # the recording from sample `base` on
        self.base = 0
        self.probs: list[float] = []  # per window, from window `prob_base` on
        self.prob_base = 0
        self.detected = 0  # samples classified so far (whole windows)
        self.piece_start: int | None = None  # first sample of the open piece, None outside speech
        self.keep_from = 0.0
        self.speech_start = 0  # first speech sample of the open stretch
        self.silence_start: int | None = None  # window where the current pause began
        self.floor = 0  # a new piece starts no earlier than this (the last piece's end)
        self.pending: list[tuple[int, int, float, float]] = []  # closed pieces: start, end, keep_from, keep_to
        self.seconds = lambda samples: samples / sample_rate

    def feed(self, block: torch.Tensor) -> list[Chunk]:
        """The next `block` (samples,) of the recording -> the pieces finished by it."""
        self.audio = torch.cat([self.audio, block.float()])
        end = self.base + len(self.audio)
        whole = (end - self.detected) // self.window * self.window
        if whole:
            at = self.detected - self.base
            history = self.audio[:at] if at else None
            probs = self.detector(self.audio[at:at + whole], history)
            for k, p in enumerate(probs.tolist()):
                self.probs.append(p)
                self._step(self.detected // self.window + k, p)
            self.detected += whole
        return self._ready(final=False)

    def finish(self) -> list[Chunk]:
        """The pieces left when the recording has ended."""
        end = self.base + len(self.audio)
        if self.piece_start is not None:
            stop = self.silence_start * self.window if self.silence_start is not None else end
            self._close(min(stop + round(self.opts.pad * self.rate), end))
        return self._ready(final=True)

    def _step(self, k: int, p: float) -> None:
        """One window's probability: start, continue, end or cut the open piece."""
        w, opts = self.window, self.opts
        if self.piece_start is None:
            if p >= opts.threshold:
                self.speech_start = k * w
                self.piece_start = max(k * w - round(opts.pad * self.rate), self.floor, self.base)
                self.keep_from = self.seconds(self.piece_start)
                self.silence_start = None
            return
        if p >= opts.threshold:
            self.silence_start = None
        elif p < opts.threshold - NEG_GAP and self.silence_start is None:
            self.silence_start = k
        if self.silence_start is not None and (k + 1 - self.silence_start) * w >= opts.min_silence * self.rate:
            stop = self.silence_start * w
            if stop - self.speech_start >= opts.min_speech * self.rate:
                self._close(stop + round(opts.pad * self.rate))
            self.piece_start = None
            self.floor = stop + round(opts.pad * self.rate)
        elif (k + 1) * w - self.piece_start >= (opts.max_chunk - opts.overlap) * self.rate:
            self._cut(k)

    def _cut(self, k: int) -> None:
        """The open piece reached max_chunk: cut it at its quietest window in its last third."""
        w, overlap = self.window, round(self.opts.overlap * self.rate)
        first = -(-(self.piece_start + round(self.opts.max_chunk * self.rate * 2 / 3)) // w)  # first window searched
        quietest = min(range(first, k + 1), key=lambda j: (self._prob(j), -j))
        cut = quietest * w + w // 2
        self._close(cut + overlap, cut)
        self.piece_start = max(cut - overlap, self.base)
        self.keep_from = self.seconds(cut)
        self.speech_start = cut

    def _close(self, end: int, cut: int | None = None) -> None:
        """Close the open piece at sample `end`; a piece cut inside speech owns only up to the cut."""
        keep_to = self.seconds(cut if cut is not None else end)
        self.pending.append((self.piece_start, end, self.keep_from, keep_to))

    def _prob(self, window: int) -> float:
        return self.probs[window - self.prob_base]

    def _ready(self, final: bool) -> list[Chunk]:
        """Pieces whose audio has all arrived; then drop audio and probabilities no piece will need."""
        end = self.base + len(self.audio)
        ready = []
        while self.pending and (final or self.pending[0][1] <= end):
            start, stop, keep_from, keep_to = self.pending.pop(0)
            if min(stop, end) > start:
                wave = self.audio[start - self.base:min(stop, end) - self.base].clone()
                ready.append(Chunk(start, wave, keep_from, min(keep_to, self.seconds(end))))
        # keep: the open piece, pending pieces, the pad before speech that may start, the detector's history
        keep = self.detected - max(round(self.opts.pad * self.rate), self.history)
        for start in [self.piece_start, *(p[0] for p in self.pending)]:
            if start is not None:
                keep = min(keep, start)
        keep = max(self.base, keep) // self.window * self.window
        self.audio = self.audio[keep - self.base:]
        drop = keep // self.window - self.prob_base
        self.probs = self.probs[drop:]
        self.prob_base += drop
        self.base = keep
        return ready
