"""Global cepstral mean and variance normalisation (CMVN).

Statistics are accumulated once over the training manifest's features and stored
with the model; at train and test time every frame is normalised the same way,
``(x - mean) / std``, so the features a model sees have mean ~0 and std ~1 per dim.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["CMVNStats", "accumulate_stats", "apply_cmvn", "running_mean"]


@dataclass
class CMVNStats:
    """Per-dimension mean and standard deviation, both float32 of shape (D,)."""

    mean: Tensor
    std: Tensor

    def to_dict(self) -> dict[str, Tensor]:
        """Plain tensors, storable with ``torch.save`` and loadable with ``weights_only=True``."""
        return {"mean": self.mean.detach().cpu().clone(), "std": self.std.detach().cpu().clone()}

    @classmethod
    def from_dict(cls, d: dict[str, Tensor]) -> CMVNStats:
        """Inverse of :meth:`to_dict`."""
        return cls(mean=torch.as_tensor(d["mean"], dtype=torch.float32), std=torch.as_tensor(d["std"], dtype=torch.float32))


def accumulate_stats(feature_iter: Iterable[Tensor], std_floor: float = 1e-2) -> CMVNStats:
    """Mean and std over every frame of every utterance, in one streaming pass.

    Args:
        feature_iter: utterance features, each (T, D) with the same D; any device.
        std_floor: lower bound on std, so a (nearly) constant dimension, e.g. an
            empty mel band sitting at the log floor, is not blown up by 1 / ~0.

    Returns:
        CMVNStats with mean (D,) and std (D,), float32 on the CPU.
    """
    total: Tensor | None = None  # (D,) float64 sum of x
    total_sq: Tensor | None = None  # (D,) float64 sum of x^2
    count = 0
    for feats in feature_iter:
        if feats.dim() != 2:
            raise ValueError(f"expected features of shape (T, D), got {tuple(feats.shape)}")
        # float64 sums: sum(x^2) / n - mean^2 over ~1e8 frames cancels badly in float32.
        x = feats.detach().to(device="cpu", dtype=torch.float64)
        if total is None:
            total, total_sq = x.new_zeros(x.shape[1]), x.new_zeros(x.shape[1])
        if x.shape[1] != total.shape[0]:
            raise ValueError(f"feature dim changed from {total.shape[0]} to {x.shape[1]}")
        total += x.sum(dim=0)
        total_sq += x.square().sum(dim=0)
        count += x.shape[0]
    if total is None or total_sq is None or count == 0:
        raise ValueError("no frames to accumulate CMVN statistics from")
    mean = total / count
    var = (total_sq / count - mean.square()).clamp_min(0.0)  # rounding can make it slightly < 0
    std = var.sqrt().clamp_min(std_floor)
    return CMVNStats(mean=mean.float(), std=std.float())


def apply_cmvn(feats: Tensor, stats: CMVNStats, feat_lens: Tensor | None = None) -> Tensor:
    """Normalise features: ``(feats - mean) / std``, out of place.

    Args:
        feats: (B, T, D) (or (T, D)) features.
        stats: CMVNStats with mean, std of shape (D,); moved to feats' device.
        feat_lens: optional (B,) valid frames; if given, frames at or beyond it are
            set back to 0 (otherwise zero padding would become -mean / std).

    Returns:
        (B, T, D) normalised features, same dtype and device as feats.
    """
    mean = stats.mean.to(device=feats.device, dtype=feats.dtype)
    std = stats.std.to(device=feats.device, dtype=feats.dtype)
    out = (feats - mean) / std
    if feat_lens is not None:
        valid = torch.arange(feats.shape[-2], device=feats.device) < feat_lens.to(feats.device).unsqueeze(-1)  # (B, T)
        out = out * valid.unsqueeze(-1)
    return out


def running_mean(feats: Tensor, prior: Tensor, prior_frames: int, total: Tensor | None = None,
                 count: int = 0) -> Tensor:
    """The mean of every frame up to and including each one, started from `prior` (D,) weighted as
    `prior_frames` frames: m_t = (prior_frames * prior + sum_{s<=t} x_s) / (prior_frames + t + 1).

    feats (B, T, D) -> (B, T, D). A stream passes the frames before this piece as their sum `total` (D,)
    and `count`. Padding after an utterance's end only changes the mean of padding frames.
    """
    sums = feats.cumsum(dim=-2) + prior_frames * prior.to(feats)
    if total is not None:
        sums = sums + total.to(feats)
    frames = torch.arange(1, feats.shape[-2] + 1, device=feats.device, dtype=feats.dtype) + prior_frames + count
    return sums / frames.unsqueeze(-1)
