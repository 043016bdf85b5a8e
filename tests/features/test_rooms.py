"""Simulated rooms: the image-source early part and its decaying tail against what a room of those sides
and that RT60 must do, and reverberation of a real recording."""

import math
import random

import pytest
import torch

from asr.data.audio import load_audio
from asr.features.rooms import SPEED_OF_SOUND, hybrid_response, reverberate, room_impulse_response


def _decay_time(response: torch.Tensor, sample_rate: int) -> float:
    """RT60 measured as a room acoustician does: Schroeder's backward energy integral, from -5 to -25 dB
    (T20), times 3."""
    energy = response.double().pow(2).flip(0).cumsum(0).flip(0)
    db = 10 * torch.log10(energy / energy[0])
    return 3 * int(((db <= -5) & (db > -25)).sum()) / sample_rate


@pytest.mark.parametrize("sides, rt60", [([4.0, 3.5, 2.6], 0.3), ([9.0, 7.0, 3.5], 0.8), ([6.0, 4.0, 3.0], 0.5)])
def test_a_room_decays_over_its_rt60_and_its_first_sound_comes_at_the_speed_of_sound(sides, rt60):
    source, mic = [1.0, 1.2, 1.5], [sides[0] - 1.0, sides[1] - 1.5, 1.2]
    response = hybrid_response(sides, source, mic, rt60, 16000, torch.Generator().manual_seed(0))
    assert response.abs().max() == 1.0 and torch.isfinite(response).all()
    assert abs(_decay_time(response, 16000) - rt60) < 0.3 * rt60
    direct = math.dist(source, mic) / SPEED_OF_SOUND * 16000
    first = int((response.abs() > 1e-6).nonzero()[0])
    assert abs(first - direct) <= 1


def test_each_draw_is_a_room_of_its_own_and_the_same_seed_the_same_room():
    rooms = [room_impulse_response(random.Random(seed), 8000) for seed in range(5)]
    assert torch.equal(rooms[0], room_impulse_response(random.Random(0), 8000))
    assert len({len(r) for r in rooms}) > 1  # RT60s differ, so do lengths
    assert all(0.2 * 8000 <= len(r) <= 0.9 * 8000 + 1 for r in rooms)


def test_a_reverberated_recording_keeps_its_length_power_and_timing(fsdd_recordings):
    wave = load_audio(fsdd_recordings / "3_jackson_7.wav", 8000)
    wet = reverberate(wave, room_impulse_response(random.Random(3), 8000))
    assert wet.shape == wave.shape
    assert torch.allclose(wet.pow(2).mean(), wave.pow(2).mean(), rtol=1e-3)
    correlation = torch.corrcoef(torch.stack([wave, wet]))[0, 1]
    assert 0.2 < correlation < 0.97  # the same words, smeared in time, not shifted away
    identity = torch.zeros(50)
    identity[7] = 1.0  # a response that is a pure delay gives the recording back, on time
    assert torch.allclose(reverberate(wave, identity), wave, atol=1e-5)
