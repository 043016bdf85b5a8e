"""Waveform augmentation for training: speed perturbation and additive noise, drawn anew on every read
(rooms are `asr.features.rooms`; what a read does, in order, is `asr.training.augmentation`)."""

from __future__ import annotations

import torch
import torchaudio


def change_speed(wave: torch.Tensor, factor: float, sample_rate: int) -> torch.Tensor:
    """Play `wave` (S,) `factor` times faster: tempo and pitch together, as Kaldi's speed perturbation.

    Resampling from rate*factor to rate shortens the signal by `factor` and shifts every formant
    by it: the cheap way to make three speakers sound like many.
    """
    if factor == 1.0:
        return wave
    step = 100  # resample between whole multiples of 100 Hz so the polyphase filter stays small
    return torchaudio.functional.resample(wave, round(sample_rate * factor / step), sample_rate // step)


def add_noise(wave: torch.Tensor, snr_db: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Add white noise `snr_db` below the signal's power: a new room and microphone for each read."""
    return mix_at_snr(wave, torch.randn(wave.shape, generator=generator, dtype=wave.dtype), snr_db)


def mix_at_snr(wave: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """`wave` plus `noise` (as long) scaled to `snr_db` below the wave's power; a silent noise adds nothing."""
    power = wave.pow(2).mean().clamp_min(1e-10)
    noise_power = noise.pow(2).mean()
    if noise_power <= 0:
        return wave
    return wave + noise * (power / (noise_power * 10 ** (snr_db / 10))).sqrt()
