"""Random frequency warping: a monotonic warp fixed at 0 Hz and Nyquist that moves a tone's energy."""

from __future__ import annotations

import math

import pytest
import torch

from asr.features.freq_warp import random_warps, warp_filterbank
from asr.features.frontend import FeatureConfig, Frontend
from asr.features.pipeline import FeaturePipeline

N_FREQ, RATE = 257, 16000


def _tone(hz: float, seconds: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(seconds * RATE)) / RATE
    return 0.3 * torch.sin(2 * math.pi * hz * t)


def test_warps_are_monotonic_fixed_at_the_ends_and_bounded() -> None:
    gen = torch.Generator().manual_seed(0)
    warps = random_warps(64, 0.15, N_FREQ, RATE, gen)
    assert warps.shape == (64, N_FREQ)
    assert torch.all(warps[:, 1:] >= warps[:, :-1])
    assert torch.allclose(warps[:, 0], torch.zeros(64)) and torch.allclose(warps[:, -1], torch.full((64,), 256.0))
    bins = torch.arange(N_FREQ).float()
    ratio = warps[:, 16:] / bins[16:]  # from 500 Hz up, no bin moves by more than the bound
    assert ratio.min() >= 0.85 - 1e-4 and ratio.max() <= 1.15 + 1e-4
    assert ratio.std() > 0.02  # and they do move
    identity = random_warps(3, 0.0, N_FREQ, RATE)
    assert torch.allclose(identity, bins.expand(3, -1), atol=1e-4)


def test_identity_warp_gives_the_plain_features() -> None:
    frontend = Frontend(FeatureConfig())
    wave = torch.stack([_tone(700), _tone(2300)])
    plain, lens = frontend(wave)
    warped, warped_lens = frontend(wave, warp=torch.arange(N_FREQ).float().expand(2, -1))
    torch.testing.assert_close(warped, plain)
    assert torch.equal(lens, warped_lens)
    assert torch.equal(warp_filterbank(frontend.mel_fb, torch.arange(N_FREQ).float().unsqueeze(0))[0],
                       frontend.mel_fb)


@pytest.mark.parametrize("seed", range(5))
def test_a_tone_lands_where_the_warp_sends_it(seed: int) -> None:
    """A 1 kHz tone under warp w peaks in the mel bin of an unwarped tone at w(1 kHz)."""
    frontend = Frontend(FeatureConfig())
    warp = random_warps(1, 0.15, N_FREQ, RATE, torch.Generator().manual_seed(seed))
    bin_1k = 1000 / (RATE / 2) * (N_FREQ - 1)  # 32.0
    lo = int(bin_1k)
    target_hz = float(warp[0, lo]) / (N_FREQ - 1) * (RATE / 2)
    warped = frontend(_tone(1000).unsqueeze(0), warp=warp)[0][0].mean(0)
    reference = frontend(_tone(target_hz).unsqueeze(0))[0][0].mean(0)
    assert warped.argmax() == reference.argmax()


def test_pipeline_passes_the_warp_and_keeps_padding_zero() -> None:
    pipeline = FeaturePipeline(FeatureConfig())
    waves = torch.stack([_tone(500, 1.0), torch.cat([_tone(900, 0.5), torch.zeros(RATE // 2)])])
    lens = torch.tensor([RATE, RATE // 2])
    warp = random_warps(2, 0.1, N_FREQ, RATE, torch.Generator().manual_seed(1))
    plain, feat_lens = pipeline(waves, lens)
    warped, _ = pipeline(waves, lens, warp)
    assert not torch.allclose(plain, warped)
    assert torch.all(warped[1, feat_lens[1]:] == 0)


def test_out_of_range_warp_is_rejected() -> None:
    with pytest.raises(ValueError, match="freq_warp"):
        random_warps(1, 0.6, N_FREQ, RATE)
