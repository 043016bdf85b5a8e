"""SpecAugment frequency and time masking (Park et al., 2019), per utterance.

A training-time augmentation the training step calls on normalised features;
it is not part of the Frontend, so evaluation never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["SpecAugmentConfig", "spec_augment"]


@dataclass(frozen=True)
class SpecAugmentConfig:
    """How many masks of which maximum width.

    ``time_width`` is a fraction of each utterance's own length (the "adaptive"
    time masking of Park et al., 2020), so a 1 s digit and a 15 s LibriSpeech
    utterance are masked in the same proportion and a mask never exceeds the
    utterance. It must lie in [0, 1]; absolute frame widths are not supported.
    """

    freq_masks: int = 2  # masks per utterance along the feature axis
    freq_width: int = 27  # max channels per frequency mask (LibriSpeech LD policy)
    time_masks: int = 2  # masks per utterance along time
    time_width: float = 0.05  # max frames per time mask = floor(time_width * feat_len)
    # Not a mask, but the same kind of thing: a training-only random frequency warp of the mel
    # filterbank (asr.features.freq_warp), each formant region moved by up to this fraction.
    freq_warp: float = 0.0


def _random_bands(max_width: Tensor, extent: Tensor, size: int, rand: Tensor) -> Tensor:
    """Boolean mask (B, size) with ``num`` bands per row inside ``[0, extent)``.

    A band's width is uniform in ``[0, max_width]`` and its start uniform in
    ``[0, extent - width]``, as in SpecAugment. rand is (2, B, num) uniform in [0, 1), one pair per band.
    max_width and extent are (B,) int64 with max_width <= extent.
    """
    width = (rand[0] * (max_width.unsqueeze(1) + 1)).long()  # (B, num) in [0, max_width]
    start = (rand[1] * (extent.unsqueeze(1) - width + 1)).long()  # (B, num) in [0, extent - width]
    pos = torch.arange(size, device=rand.device).view(1, 1, size)  # (1, 1, size)
    inside = (pos >= start.unsqueeze(-1)) & (pos < (start + width).unsqueeze(-1))  # (B, num, size)
    return inside.any(dim=1)  # (B, size)


def spec_augment(
    feats: Tensor, feat_lens: Tensor, cfg: SpecAugmentConfig, generator: torch.Generator | None = None
) -> Tensor:
    """Mask random frequency bands and time spans of each utterance with 0.

    Every utterance draws its own masks; time masks lie within its first
    ``feat_lens[b]`` frames, and frequency masks are applied only to those frames,
    so padding is left exactly as it was. The input is not modified.

    Args:
        feats: (B, T, D) normalised features (mean ~0, hence the 0 fill value).
        feat_lens: (B,) int64 valid frames per utterance.
        cfg: number and maximum width of the masks.
        generator: optional RNG for reproducible masks; may live on the CPU while
            feats are on CUDA (the draws are tiny and moved over).

    Returns:
        (B, T, D) masked copy of feats.
    """
    if not 0.0 <= cfg.time_width <= 1.0:
        raise ValueError(f"time_width is a fraction of the utterance length in [0, 1], got {cfg.time_width}")
    batch, frames, dim = feats.shape
    rand_device = generator.device if generator is not None else feats.device
    lens = feat_lens.to(device=rand_device, dtype=torch.long).clamp(0, frames)  # (B,)

    freq_rand = torch.rand(2, batch, cfg.freq_masks, generator=generator, device=rand_device)
    time_rand = torch.rand(2, batch, cfg.time_masks, generator=generator, device=rand_device)
    full_dim = torch.full((batch,), dim, dtype=torch.long, device=rand_device)
    freq_mask = _random_bands(full_dim.clamp(max=cfg.freq_width), full_dim, dim, freq_rand)  # (B, D)
    time_max = (cfg.time_width * lens.double()).floor().long()  # (B,)
    time_mask = _random_bands(time_max, lens, frames, time_rand)  # (B, T)

    valid = torch.arange(frames, device=rand_device) < lens.unsqueeze(1)  # (B, T)
    mask = (time_mask.unsqueeze(-1) | freq_mask.unsqueeze(1)) & valid.unsqueeze(-1)  # (B, T, D)
    return feats.masked_fill(mask.to(feats.device), 0.0)
