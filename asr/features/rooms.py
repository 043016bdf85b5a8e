"""Simulated rooms for reverberation: an impulse response drawn from a random shoebox room, and the
convolution that plays a recording in it.

The early part is an image-source model (Allen and Berkley, 1979): every reflection up to a few bounces
off six walls of one absorption, each delayed by its path and attenuated by its length and the bounces.
The late part, where images grow too many to count (tens of millions for a second in a large room), is
Gaussian noise decaying by 60 dB over the room's RT60 and matched in energy to the image model where it
stops: the hybrid most room simulators use. It costs a few milliseconds per response, so every training
read draws a room of its own, with no bank of files and no compiled dependency (pyroomacoustics would
bring a C++ extension and a second numeric stack for the same early reflections and a ray-traced tail).
"""

from __future__ import annotations

import math
import random

import torch

SPEED_OF_SOUND = 343.0  # m/s
ORDER = 6  # image-source bounces per axis: a complete image model up to 2*ORDER times the room's smallest side
ROOM_SIDES = ((3.0, 10.0), (3.0, 8.0), (2.4, 4.0))  # m: from a small office to a classroom (length, width, height)
RT60_RANGE = (0.2, 0.9)  # s: a furnished room to a bare hall
MARGIN = 0.5  # m: neither source nor microphone closer to a wall


def room_impulse_response(rng: random.Random, sample_rate: int) -> torch.Tensor:
    """The impulse response (samples,) from a speaker to a microphone in a room drawn from `rng`:
    sides from ROOM_SIDES, RT60 from RT60_RANGE, both positions uniform at least MARGIN from the walls
    and 0.5 m apart. The same generator state gives the same response."""
    sides = [rng.uniform(*extent) for extent in ROOM_SIDES]
    rt60 = rng.uniform(*RT60_RANGE)

    def position() -> list[float]:
        return [rng.uniform(MARGIN, side - MARGIN) for side in sides]

    source, mic = position(), position()
    while math.dist(source, mic) < 0.5:
        mic = position()
    noise = torch.Generator().manual_seed(rng.getrandbits(63))
    return hybrid_response(sides, source, mic, rt60, sample_rate, noise)


def hybrid_response(sides: list[float], source: list[float], mic: list[float], rt60: float, sample_rate: int,
                    noise: torch.Generator) -> torch.Tensor:
    """Image-source reflections up to the time the image model is complete, then a decaying noise tail."""
    volume = math.prod(sides)
    area = 2 * (sides[0] * sides[1] + sides[0] * sides[2] + sides[1] * sides[2])
    absorption = min(0.99, max(0.02, 0.161 * volume / (area * rt60)))  # Sabine's formula, solved for the walls
    reflection = math.sqrt(1 - absorption)  # of the pressure amplitude, per bounce
    early_end = 2 * ORDER * min(sides) / SPEED_OF_SOUND  # every image nearer than this is among those counted
    length = int(rt60 * sample_rate) + 1
    response = torch.zeros(length, dtype=torch.float64)
    delays, gains = _images(sides, source, mic, reflection)
    keep = delays < min(early_end, (length - 2) / sample_rate)
    at = delays[keep] * sample_rate
    whole = at.floor().long()
    late = at - whole  # a fractional delay, shared linearly between two samples
    response.index_add_(0, whole, gains[keep] * (1 - late))
    response.index_add_(0, whole + 1, gains[keep] * late)
    start = min(length, int(early_end * sample_rate))
    if start < length:
        window = response[max(0, start - int(0.02 * sample_rate)):start]  # the image model's last 20 ms
        level = window.pow(2).mean().sqrt() if len(window) else response.abs().max()
        t = torch.arange(length - start, dtype=torch.float64) / sample_rate
        tail = torch.randn(length - start, generator=noise, dtype=torch.float64)
        response[start:] += tail * level * torch.exp(-6.9078 * t / rt60)  # 60 dB: a factor of 1000 in amplitude
    return (response / response.abs().max()).float()


def _images(sides: list[float], source: list[float], mic: list[float],
            reflection: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(delay in s, amplitude) of every image source with at most ORDER room shifts per axis."""
    shifts = torch.arange(-ORDER, ORDER + 1, dtype=torch.float64)
    axes = []
    for side, s, m in zip(sides, source, mic, strict=True):
        # mirrored (p = 1) or not (p = 0), shifted by 2*n*side; bounces |n - p| + |n| off the axis's two walls
        offsets = torch.cat([s + 2 * shifts * side - m, -s + 2 * shifts * side - m])
        bounces = torch.cat([2 * shifts.abs(), (shifts - 1).abs() + shifts.abs()])
        axes.append((offsets, bounces))
    (dx, bx), (dy, by), (dz, bz) = axes
    distance = (dx[:, None, None] ** 2 + dy[None, :, None] ** 2 + dz[None, None, :] ** 2).sqrt().flatten()
    bounces = (bx[:, None, None] + by[None, :, None] + bz[None, None, :]).flatten()
    gain = reflection ** bounces / (4 * math.pi * distance.clamp_min(0.1))
    return distance / SPEED_OF_SOUND, gain


def reverberate(wave: torch.Tensor, response: torch.Tensor) -> torch.Tensor:
    """`wave` (S,) played in the room of `response`, as long as `wave`, aligned on the response's strongest
    path (a recording's timing is kept: words are where they were) and at `wave`'s power."""
    peak = int(response.abs().argmax())
    # a power-of-two transform: torchaudio's fftconvolve takes the exact length, whose large prime factors
    # made a 3 s utterance's convolution cost 11 ms on average against 1 ms
    size = 1 << (len(wave) + len(response) - 2).bit_length()
    spectrum = torch.fft.rfft(wave, size) * torch.fft.rfft(response.to(wave.dtype), size)
    wet = torch.fft.irfft(spectrum, size)[peak:peak + len(wave)]
    power = wave.pow(2).mean()
    return wet * (power / wet.pow(2).mean().clamp_min(1e-12)).sqrt() if power > 0 else wet
