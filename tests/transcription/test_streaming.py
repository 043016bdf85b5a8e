"""Streaming transcription of real recordings: the stream's finals say what the whole recording's transcript
says, partials only grow what is stable, and models or options that cannot stream are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soxr
import torch

import asr
from asr.data.audio import load_audio
from asr.data.manifest import read_manifest
from asr.errors import UserError
from asr.transcription.streaming import Transcript


GAP = 4800  # samples between recordings


@pytest.fixture(scope="module")
def utterances(digit_manifests: Path) -> list:
    """Eight test recordings of four speakers."""
    return read_manifest(digit_manifests / "test_takes.jsonl")[::25][:8]


@pytest.fixture(scope="module")
def recordings(utterances) -> np.ndarray:
    """The eight one after another, 0.6 s of faint noise between them (8 kHz)."""
    noise = np.random.default_rng(0).normal(0, 1e-3, GAP).astype(np.float32)
    parts = [piece for u in utterances for piece in (load_audio(u.audio, 8000).numpy(), noise)]
    return np.concatenate(parts)


def blocks_of(audio: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    """The audio in blocks of 1 sample to 0.25 s, as a microphone or a pipe might hand them on."""
    sizes = np.random.default_rng(seed).integers(1, 2000, size=len(audio))
    ends = np.cumsum(sizes)
    return np.split(audio, ends[ends < len(audio)])


def streamed(model, samples: np.ndarray, seed: int, fresh: bool = True) -> list:
    """The events of a stream of `samples` (8 kHz), in random blocks."""
    transcript, events = Transcript(model.loaded, fresh=fresh), []
    for block in blocks_of(samples, seed):
        events += transcript.push(torch.from_numpy(block))
    return events + transcript.finish()


def test_stream_decodes_exactly_what_the_whole_recording_does(digit_stream_model, utterances, recordings):
    """Carried on through pauses (fresh=False), the stream's finals are what the whole recording decodes to,
    whatever the blocks: features, encoder and search see the same frames."""
    model = asr.load_model(digit_stream_model)
    right = 0
    for k, utterance in enumerate(utterances):
        samples = load_audio(utterance.audio, 8000).numpy()
        text = " ".join(e.text for e in streamed(model, samples, k, fresh=False) if e.kind == "final")
        assert text == model.transcribe(samples, sample_rate=8000).text
        right += text == utterance.text
    assert right >= 6  # the model reads digits
    whole = model.transcribe(recordings, sample_rate=8000, max_chunk=0)
    finals = [e for e in streamed(model, recordings, 9, fresh=False) if e.kind == "final"]
    assert " ".join(e.text for e in finals) == whole.text
    assert [(w.word, w.start, w.end) for e in finals for w in e.words] == \
        [(w.word, w.start, w.end) for w in whole.words]


def test_partials_grow_stable_words_that_finals_keep(digit_stream_model, recordings):
    events = streamed(asr.load_model(digit_stream_model), recordings, 3, fresh=False)
    times = [e.at for e in events]
    assert times == sorted(times) and times[-1] <= len(recordings) / 8000
    segment: list = []
    for event in events:
        if event.kind == "partial":
            assert event.text.startswith(event.stable)
            if segment:
                assert event.stable.startswith(segment[-1].stable)
            segment.append(event)
        else:
            assert segment and event.text.startswith(segment[-1].stable)
            segment = []


def test_after_a_final_and_silence_the_next_segment_starts_afresh(digit_stream_model, utterances, recordings):
    """By default a final followed by silence restarts the encoder's state and the running feature mean, so
    the next segment is heard as an utterance of its own."""
    model = asr.load_model(digit_stream_model)
    transcript, events = Transcript(model.loaded), []
    for block in blocks_of(recordings, 4):
        events += transcript.push(torch.from_numpy(block))
        if any(e.kind == "final" for e in events):
            break
    first = model.transcribe(load_audio(utterances[0].audio, 8000).numpy(), sample_rate=8000).text
    assert [e.text for e in events if e.kind == "final"] == [first]
    assert transcript.encoder.states == [None] * model.loaded.model.cfg.encoder.layers
    assert transcript.features.count == 0
    carried = Transcript(model.loaded, fresh=False)
    for block in blocks_of(recordings, 4):
        if any(e.kind == "final" for e in carried.push(torch.from_numpy(block))):
            break
    assert all(state is not None for state in carried.encoder.states) and carried.features.count > 0


def test_stream_at_another_rate_and_with_beam_search(digit_stream_model, recordings):
    model = asr.load_model(digit_stream_model)
    greedy = model.transcribe(recordings, sample_rate=8000, max_chunk=0).text
    resampled = soxr.resample(recordings, 8000, 16000)
    finals = [e.text for e in model.stream(blocks_of(resampled, 1), sample_rate=16000, fresh=False)
              if e.kind == "final"]
    assert " ".join(finals) == greedy
    beam = [e for e in model.stream(blocks_of(recordings, 2), sample_rate=8000, decode="beam", beam=4, fresh=False)]
    assert " ".join(e.text for e in beam if e.kind == "final") == " ".join(finals)


def test_models_and_options_that_cannot_stream_are_refused(digit_model, digit_stream_model, recordings):
    with pytest.raises(UserError, match="whole utterances"):
        next(asr.load_model(digit_model).stream([recordings], sample_rate=8000))
    with pytest.raises(UserError, match="no rescoring, lexicon or KenLM"):
        asr.load_model(digit_stream_model).stream([recordings], sample_rate=8000, decode="beam", lexicon=__file__)
    with pytest.raises(UserError, match="sample_rate"):
        asr.load_model(digit_stream_model).stream([recordings], sample_rate=0)


def test_memory_stays_flat_over_a_long_stream(digit_stream_model, recordings):
    """Three minutes of audio through one stream: what it holds between blocks does not grow
    (scripts/bench_stream.py measures the process over ten)."""
    model = asr.load_model(digit_stream_model)
    transcript = Transcript(model.loaded)
    audio = torch.from_numpy(np.tile(recordings, -(-180 * 8000 // len(recordings))))
    cfg = model.loaded.model.cfg.encoder
    for start in range(0, len(audio), 800):
        transcript.push(audio[start:start + 800])
        # bounded whatever the stream's length: a segment's frames, less than a frame and a block of samples,
        # less than a window and a block of encoder input
        assert sum(len(p) for p in transcript.log_probs) <= transcript.max_frames
        assert len(transcript.features.samples) < model.loaded.features.cfg.win_length + 800
        assert len(transcript.encoder.stacked) * cfg.stack < cfg.chunk_frames + cfg.right_context_frames + 100
