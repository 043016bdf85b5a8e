"""Waveforms -> normalised features: the frontend, then global mean/variance normalisation.

This is the one feature path shared by training, evaluation and transcription, so a model
always sees features computed exactly as in training.
"""

from __future__ import annotations

import torch
from torch import nn

from asr.features.cmvn import CMVNStats, apply_cmvn, running_mean
from asr.features.freq_warp import random_warps
from asr.features.frontend import FeatureConfig, Frontend


NORMALIZATIONS = ("global", "utterance", "running")


class FeaturePipeline(nn.Module):
    """forward(waves (B, S), wave_lens (B,)) -> (feats (B, T, D), feat_lens (B,)); padding frames are 0."""

    def __init__(self, cfg: FeatureConfig, mean: torch.Tensor | None = None, std: torch.Tensor | None = None):
        super().__init__()
        if cfg.normalize not in NORMALIZATIONS:
            raise ValueError(f"features.normalize must be one of {', '.join(NORMALIZATIONS)}, not {cfg.normalize!r}")
        self.cfg = cfg
        self.frontend = Frontend(cfg)
        dim = self.frontend.dim
        self.register_buffer("mean", torch.zeros(dim) if mean is None else mean.float().clone())
        self.register_buffer("std", torch.ones(dim) if std is None else std.float().clone())

    @property
    def dim(self) -> int:
        return self.frontend.dim

    def num_frames(self, num_samples: torch.Tensor | int) -> torch.Tensor | int:
        return self.frontend.num_frames(num_samples)

    def forward(self, waves: torch.Tensor, wave_lens: torch.Tensor,
                warp: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """`warp`: optional per-utterance frequency warp for training (see `Frontend.forward`)."""
        feats, feat_lens = self.frontend(waves, wave_lens, warp)
        if self.cfg.normalize == "running":  # `mean` holds the training set's mean: the prior
            feats = feats - running_mean(feats, self.mean, self.cfg.running_prior_frames)
            return apply_cmvn(feats, CMVNStats(torch.zeros_like(self.mean), self.std), feat_lens), feat_lens
        if self.cfg.normalize == "utterance":
            # padding frames are 0, so a plain sum over time is the sum over real frames
            frames = feat_lens.clamp_min(1).to(feats.dtype).view(-1, 1, 1)
            feats = feats - feats.sum(dim=1, keepdim=True) / frames
        return apply_cmvn(feats, CMVNStats(self.mean, self.std), feat_lens), feat_lens

    def warped(self, waves: torch.Tensor, wave_lens: torch.Tensor,
               max_warp: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Features of a training batch whose every utterance has its formants moved by a random warp of
        up to `max_warp` (`freq_warp.random_warps`; 0: the plain features)."""
        warp = None
        if max_warp > 0:
            warp = random_warps(len(waves), max_warp, self.cfg.n_fft // 2 + 1, self.cfg.sample_rate)
        return self(waves, wave_lens, warp)
