"""Random frequency warping of the mel filterbank: a new vocal tract for every training utterance.

Vocal tract length perturbation (Jaitly & Hinton, 2013) moves every formant by one factor.
Voices also differ formant by formant (espeak-ng's variants scale F1, F2 and F3 by different
amounts, as real speakers' vowels do), so here the warp is piecewise linear: the frequencies
at a few knots move by independent random factors, and the warp is linear between them. The
spectrum itself is untouched; each utterance gets its own copy of the mel filterbank in which
power at frequency f counts as if it were at warp(f). Training only; features at inference
use the plain filterbank.
"""

from __future__ import annotations

import torch
from torch import Tensor

# Knots in Hz: the warp moves these by random factors and keeps 0 Hz and Nyquist fixed.
# They sit near the typical first three formants and the top of the second.
KNOTS_HZ = (500.0, 1500.0, 2500.0, 3500.0)


def random_warps(batch: int, max_warp: float, n_freq: int, sample_rate: int,
                 generator: torch.Generator | None = None) -> Tensor:
    """Warped position, in FFT bins, of every FFT bin for `batch` utterances: (B, n_freq).

    Each knot frequency is multiplied by a factor drawn uniformly from [1 - max_warp,
    1 + max_warp]; the warp is linear between knots, fixed at 0 Hz and at Nyquist, and
    monotonic (knots that would cross are sorted), so bands never swap order.
    """
    if not 0.0 <= max_warp < 0.5:
        raise ValueError(f"freq_warp must be in [0, 0.5), got {max_warp}")
    nyquist = sample_rate / 2
    knots = torch.tensor([k for k in KNOTS_HZ if k < nyquist], dtype=torch.float64)
    factors = 1 + max_warp * (2 * torch.rand(batch, len(knots), generator=generator, dtype=torch.float64) - 1)
    moved = (knots * factors).clamp(1.0, nyquist - 1.0).sort(dim=1).values  # (B, K)
    src = torch.cat([torch.zeros(1, dtype=torch.float64), knots, torch.tensor([nyquist], dtype=torch.float64)])
    dst = torch.cat([torch.zeros(batch, 1, dtype=torch.float64), moved,
                     torch.full((batch, 1), nyquist, dtype=torch.float64)], dim=1)  # (B, K + 2)
    freqs = torch.linspace(0, nyquist, n_freq, dtype=torch.float64)  # (F,)
    segment = (torch.searchsorted(src, freqs, right=True) - 1).clamp(0, len(src) - 2)  # (F,)
    lo, hi = src[segment], src[segment + 1]  # (F,)
    t = (freqs - lo) / (hi - lo)
    warped_hz = dst[:, segment] + t * (dst[:, segment + 1] - dst[:, segment])  # (B, F)
    return (warped_hz / nyquist * (n_freq - 1)).float()


def warp_filterbank(mel_fb: Tensor, positions: Tensor) -> Tensor:
    """Per-utterance filterbanks: row f of utterance b is `mel_fb` read at `positions[b, f]`.

    mel_fb (F, M), positions (B, F) fractional bin indices -> (B, F, M), linear interpolation.
    """
    n_freq = mel_fb.shape[0]
    pos = positions.to(mel_fb.device).clamp(0, n_freq - 1)
    lo = pos.floor().long().clamp(max=n_freq - 2)  # (B, F)
    frac = (pos - lo).unsqueeze(-1)  # (B, F, 1)
    return mel_fb[lo] * (1 - frac) + mel_fb[lo + 1] * frac
