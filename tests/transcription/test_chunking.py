"""The Chunker on hand-built speech probabilities: pauses split, long speech is cut with overlaps that
give every stretch one owner, block sizes change nothing, and memory stays bounded."""

from __future__ import annotations

import pytest
import torch

from asr.transcription.chunking import Chunker, ChunkingOptions

RATE, W = 16000, 512  # 32 ms windows


class Scripted:
    """A detector that reads probabilities from a script, one per window of the whole recording."""

    def __init__(self, probs: list[float]):
        self.probs, self.done = torch.tensor(probs), 0

    def __call__(self, wave: torch.Tensor, history: torch.Tensor | None) -> torch.Tensor:
        n = len(wave) // W
        out = self.probs[self.done:self.done + n]
        self.done += n
        return out


def windows(seconds: float) -> int:
    return round(seconds * RATE / W)


def chunks_of(probs: list[float], options: ChunkingOptions, block: int = RATE) -> list:
    """Feed a recording whose sample i is i (so pieces show where they came from), `block` samples at a time."""
    audio = torch.arange(len(probs) * W, dtype=torch.float64).float()
    chunker = Chunker(Scripted(probs), RATE, W, options)
    out = []
    for start in range(0, len(audio), block):
        out += chunker.feed(audio[start:start + block])
    return out + chunker.finish()


def test_pauses_split_speech_and_pads_keep_a_little_silence_either_side():
    speech, pause = [0.9] * windows(2.0), [0.05] * windows(1.0)
    probs = pause + speech + pause + speech + [0.05] * windows(0.2) + speech + pause  # a 0.2 s pause does not split
    chunks = chunks_of(probs, ChunkingOptions())
    assert len(chunks) == 2
    pad = round(0.15 * RATE)
    first, second = chunks
    assert first.start == windows(1.0) * W - pad and len(first.wave) == windows(2.0) * W + 2 * pad
    assert second.start == (2 * windows(1.0) + windows(2.0)) * W - pad  # speech, 0.2 s pause, speech: one piece
    assert len(second.wave) == (2 * windows(2.0) + windows(0.2)) * W + 2 * pad
    assert torch.equal(first.wave, torch.arange(first.start, first.start + len(first.wave)).float())
    # pieces closed by pauses own all of themselves
    assert (first.keep_from, first.keep_to) == (first.start / RATE, (first.start + len(first.wave)) / RATE)


def test_blips_shorter_than_min_speech_are_dropped():
    probs = [0.0] * windows(1.0) + [0.9] * 2 + [0.0] * windows(1.0)  # 64 ms of "speech"
    assert chunks_of(probs, ChunkingOptions(min_speech=0.1)) == []


def test_long_speech_is_cut_at_its_quietest_window_with_overlaps_owned_once():
    opts = ChunkingOptions(max_chunk=10.0, overlap=1.0)
    probs = [0.9] * windows(25.0)
    dip = windows(8.0)
    probs[dip] = 0.45  # the quietest window of the first piece's last third (6.7-9 s)
    chunks = chunks_of(probs, opts)
    assert len(chunks) == 4  # cut at 8.0 s, then (all windows equally loud) as late as the length allows
    assert all(len(c.wave) <= opts.max_chunk * RATE for c in chunks)
    cut = (dip * W + W // 2) / RATE
    assert chunks[0].keep_to == chunks[1].keep_from == cut
    assert chunks[1].start / RATE == pytest.approx(cut - 1.0)  # the next piece starts an overlap before the cut
    assert (chunks[0].start + len(chunks[0].wave)) / RATE == pytest.approx(cut + 1.0)
    # every moment of the recording belongs to exactly one piece
    for t in torch.arange(0.0, 25.0, 0.01).tolist():
        assert sum(c.owns(t, t) for c in chunks) == 1, t


def test_block_size_does_not_change_the_pieces():
    probs = ([0.1] * windows(0.7) + [0.8] * windows(3.3)) * 5 + [0.9] * windows(12.0)
    opts = ChunkingOptions(max_chunk=8.0, overlap=0.5)
    reference = chunks_of(probs, opts, block=RATE * 60)
    for block in (W, 3 * W + 17, RATE * 7):
        got = chunks_of(probs, opts, block=block)
        assert [(c.start, len(c.wave), c.keep_from, c.keep_to) for c in got] == \
            [(c.start, len(c.wave), c.keep_from, c.keep_to) for c in reference]


def test_memory_holds_the_open_piece_not_the_recording():
    # 10 minutes of 3 s sentences and 1 s pauses: the buffer never holds more than a piece and a block
    probs = ([0.9] * windows(3.0) + [0.0] * windows(1.0)) * 150
    chunker = Chunker(Scripted(probs), RATE, W, ChunkingOptions())
    audio, most, pieces = torch.zeros(len(probs) * W), 0, 0
    for start in range(0, len(audio), RATE):
        pieces += len(chunker.feed(audio[start:start + RATE]))
        most = max(most, len(chunker.audio), len(chunker.probs) * W)
    pieces += len(chunker.finish())
    assert pieces == 150
    assert most < 6 * RATE, most / RATE


def test_options_that_cannot_work_are_refused():
    with pytest.raises(ValueError):
        ChunkingOptions(max_chunk=5.0, overlap=1.0)
    with pytest.raises(ValueError):
        ChunkingOptions(min_silence=0.2, pad=0.15)
