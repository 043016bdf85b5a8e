"""Global CMVN: statistics, normalisation, storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from asr.features.cmvn import CMVNStats, accumulate_stats, apply_cmvn
from asr.features.frontend import FeatureConfig, Frontend


def _features(waves: list[np.ndarray], sample_rate: int, **kwargs: object) -> list[torch.Tensor]:
    """Default log-mel features (T, D) of each waveform."""
    frontend = Frontend(FeatureConfig(sample_rate=sample_rate, **kwargs))  # type: ignore[arg-type]
    return [frontend.features(torch.from_numpy(w)) for w in waves]


def test_stats_normalise_real_features(librispeech_waves: list[np.ndarray], fsdd_waves: list[np.ndarray]) -> None:
    """After apply_cmvn with its own statistics, every dim has mean ~0 and std ~1."""
    for feats in (_features(librispeech_waves, 16000), _features(fsdd_waves, 8000, n_fft=256, n_mels=40)):
        stats = accumulate_stats(iter(feats))  # a one-pass iterator is enough
        assert stats.mean.shape == stats.std.shape == (feats[0].shape[1],)
        assert stats.mean.dtype == torch.float32
        frames = torch.cat(feats).double()
        torch.testing.assert_close(stats.mean.double(), frames.mean(0), rtol=1e-6, atol=1e-5)
        torch.testing.assert_close(stats.std.double(), frames.std(0, unbiased=False), rtol=1e-5, atol=1e-5)
        normalised = apply_cmvn(torch.cat(feats).unsqueeze(0), stats)[0]  # (1, N, D) -> (N, D)
        assert normalised.mean(0).abs().max().item() < 1e-4
        assert (normalised.std(0, unbiased=False) - 1).abs().max().item() < 1e-4


def test_std_is_floored_for_constant_dims() -> None:
    """A constant dim (e.g. an always-empty band) gets std = floor, not 0 -> no inf/nan."""
    feats = torch.randn(50, 3)
    feats[:, 1] = -23.0
    stats = accumulate_stats([feats[:20], feats[20:]])
    assert stats.std[1].item() == pytest.approx(1e-2)
    assert torch.isfinite(apply_cmvn(feats.unsqueeze(0), stats)).all()


def test_padding_stays_zero_with_lengths(librispeech_waves: list[np.ndarray]) -> None:
    """With feat_lens, padded frames are 0 after normalisation; without, they become -mean/std."""
    frontend = Frontend(FeatureConfig())
    wave = torch.zeros(2, 32000)
    wave[0] = torch.from_numpy(librispeech_waves[0][:32000])
    wave[1, :16000] = torch.from_numpy(librispeech_waves[1][:16000])
    feats, feat_lens = frontend(wave, torch.tensor([32000, 16000]))
    stats = accumulate_stats([feats[0], feats[1, : feat_lens[1]]])
    normalised = apply_cmvn(feats, stats, feat_lens)
    assert torch.all(normalised[1, feat_lens[1] :] == 0)
    torch.testing.assert_close(normalised[1, : feat_lens[1]], (feats[1, : feat_lens[1]] - stats.mean) / stats.std)
    torch.testing.assert_close(apply_cmvn(feats, stats)[1, -1], -stats.mean / stats.std)


def test_to_dict_survives_torch_save_weights_only(tmp_path: Path) -> None:
    """to_dict holds plain tensors: torch.save + torch.load(weights_only=True) round-trips."""
    stats = accumulate_stats([torch.randn(100, 80) * 3 + 1])
    path = tmp_path / "cmvn.pt"
    torch.save({"cmvn": stats.to_dict()}, path)
    restored = CMVNStats.from_dict(torch.load(path, weights_only=True)["cmvn"])
    assert torch.equal(restored.mean, stats.mean) and torch.equal(restored.std, stats.std)


def test_no_frames_is_an_error() -> None:
    """Empty input has no statistics; say so instead of returning nan."""
    with pytest.raises(ValueError, match="no frames"):
        accumulate_stats([])
