"""SpecAugment masks: where, how wide, how random."""

from __future__ import annotations

import pytest
import torch

from asr.features.specaugment import SpecAugmentConfig, spec_augment

PAD = 7.0  # a padding value no mask would write, so untouched padding is visible


def _batch(lens: list[int], dim: int = 80, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised-looking features (B, T, D) with no exact zeros, padded with PAD."""
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(len(lens), max(lens), dim, generator=gen).abs() + 0.1  # never 0
    for i, n in enumerate(lens):
        feats[i, n:] = PAD
    return feats, torch.tensor(lens)


def test_masks_stay_inside_each_utterance_and_input_is_untouched() -> None:
    """Zeros appear only before feat_lens; padding and the caller's tensor are unchanged."""
    feats, lens = _batch([300, 120, 40, 0])
    before = feats.clone()
    cfg = SpecAugmentConfig(time_width=0.3)
    for seed in range(20):
        out = spec_augment(feats, lens, cfg, torch.Generator().manual_seed(seed))
        assert torch.equal(feats, before)
        for i, n in enumerate(lens.tolist()):
            assert torch.all(out[i, n:] == PAD)
            masked = out[i, :n] == 0
            # Only masking writes zeros, and it writes nothing else.
            assert torch.equal(out[i, :n][~masked], before[i, :n][~masked])


def test_masks_are_full_bands_and_spans_of_bounded_width() -> None:
    """Each zero lies in a fully zeroed channel or a fully zeroed frame; widths obey cfg."""
    feats, lens = _batch([200, 97, 60])
    cfg = SpecAugmentConfig(freq_masks=1, freq_width=10, time_masks=1, time_width=0.1)
    changed = False
    for seed in range(30):
        out = spec_augment(feats, lens, cfg, torch.Generator().manual_seed(seed))
        for i, n in enumerate(lens.tolist()):
            zero = out[i, :n] == 0  # (n, D)
            zero_frames, zero_channels = zero.all(dim=1), zero.all(dim=0)
            assert torch.equal(zero, zero_frames.unsqueeze(1) | zero_channels.unsqueeze(0))
            assert zero_channels.sum() <= 10 and zero_frames.sum() <= int(0.1 * n)
            for mask in (zero_channels, zero_frames):  # one mask each: contiguous
                idx = mask.nonzero().flatten()
                assert len(idx) == 0 or idx[-1] - idx[0] + 1 == len(idx)
            changed |= bool(zero.any())
    assert changed


def test_deterministic_with_generator_and_independent_across_batch() -> None:
    """Same seed, same masks; different seeds or batch rows, different masks."""
    feats, lens = _batch([400] * 4)
    cfg = SpecAugmentConfig()
    a = spec_augment(feats, lens, cfg, torch.Generator().manual_seed(3))
    b = spec_augment(feats, lens, cfg, torch.Generator().manual_seed(3))
    c = spec_augment(feats, lens, cfg, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    patterns = {tuple((a[i] == 0).flatten().tolist()) for i in range(4)}
    assert len(patterns) == 4  # each utterance drew its own masks
    spec_augment(feats, lens, cfg)  # the global RNG works too


def test_no_masks_and_bad_width() -> None:
    """Zero masks is the identity; time_width is a fraction, so > 1 is rejected."""
    feats, lens = _batch([50, 30])
    none = SpecAugmentConfig(freq_masks=0, time_masks=0)
    assert torch.equal(spec_augment(feats, lens, none), feats)
    with pytest.raises(ValueError, match="fraction"):
        spec_augment(feats, lens, SpecAugmentConfig(time_width=40))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_features_with_cpu_generator() -> None:
    """A CPU generator drives masks on CUDA features; same masks as on the CPU."""
    feats, lens = _batch([100, 60])
    cfg = SpecAugmentConfig()
    cpu = spec_augment(feats, lens, cfg, torch.Generator().manual_seed(1))
    gpu = spec_augment(feats.cuda(), lens.cuda(), cfg, torch.Generator().manual_seed(1))
    assert gpu.device.type == "cuda" and torch.equal(gpu.cpu(), cpu)
