"""Frontend behaviour: shapes, lengths, padding, devices, precision."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from asr.features.frontend import FeatureConfig, Frontend


def _pad_batch(waves: list[np.ndarray], pad_value: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad waveforms into (B, S_max) with pad_value; returns (wave, wave_lens (B,))."""
    lens = torch.tensor([len(w) for w in waves], dtype=torch.long)
    batch = torch.full((len(waves), int(lens.max())), pad_value)
    for i, w in enumerate(waves):
        batch[i, : len(w)] = torch.from_numpy(w)
    return batch, lens


@pytest.mark.parametrize("kind", ["fbank", "mfcc"])
def test_padded_batch_equals_single_utterances(librispeech_waves: list[np.ndarray], kind: str) -> None:
    """Padding never changes real frames, and frames past feat_lens are exactly 0.

    The batch is padded with a constant 0.5, not zeros, to show that no valid
    frame reads a padded sample (snip_edges framing).
    """
    frontend = Frontend(FeatureConfig(kind=kind))
    waves = [w[: n * 16000 // 2] for w, n in zip(librispeech_waves, (3, 5, 2, 4))]  # 1.5 s .. 2.5 s
    batch, lens = _pad_batch(waves, pad_value=0.5)
    feats, feat_lens = frontend(batch, lens)
    assert feats.shape == (len(waves), frontend.num_frames(batch.shape[1]), frontend.dim)
    assert feats.dtype == torch.float32 and feat_lens.dtype == torch.int64
    for i, wave in enumerate(waves):
        single = frontend.features(torch.from_numpy(wave))
        assert feat_lens[i].item() == single.shape[0] == frontend.num_frames(len(wave))
        torch.testing.assert_close(feats[i, : feat_lens[i]], single, rtol=1e-5, atol=1e-4)
        assert torch.all(feats[i, feat_lens[i] :] == 0)


def test_num_frames_matches_features_for_every_length() -> None:
    """T = 1 + (S - 400) // 160 at 16 kHz (0 below one window), scalar or tensor."""
    frontend = Frontend(FeatureConfig())
    lengths = [0, 1, 399, 400, 401, 559, 560, 561, 16000, 16001]
    expected = [0, 0, 0, 1, 1, 1, 2, 2, 98, 98]
    assert [frontend.num_frames(n) for n in lengths] == expected
    assert frontend.num_frames(torch.tensor(lengths)).tolist() == expected
    for n in lengths:
        assert frontend.features(torch.zeros(n)).shape == (frontend.num_frames(n), 80)


def test_dims_and_derived_sizes() -> None:
    """fbank has n_mels dims, MFCC n_mfcc; 25 ms / 10 ms at 8 kHz is 200 / 80 samples."""
    assert Frontend(FeatureConfig()).dim == 80
    assert Frontend(FeatureConfig(kind="mfcc", n_mfcc=13)).dim == 13
    cfg = FeatureConfig(sample_rate=8000, n_fft=256, n_mels=40)
    assert (cfg.win_length, cfg.hop_length) == (200, 80)
    with pytest.raises(ValueError):
        Frontend(FeatureConfig(kind="plp"))
    with pytest.raises(ValueError):
        Frontend(FeatureConfig(n_fft=256))  # shorter than the 400-sample window


def test_lengths_default_to_full_and_batch_without_frames() -> None:
    """wave_lens=None means every row is full; a batch shorter than a window has T = 0."""
    frontend = Frontend(FeatureConfig())
    feats, feat_lens = frontend(torch.randn(2, 1000))
    assert feats.shape == (2, 4, 80) and feat_lens.tolist() == [4, 4]
    feats, feat_lens = frontend(torch.randn(3, 100), torch.tensor([100, 50, 0]))
    assert feats.shape == (3, 0, 80) and feat_lens.tolist() == [0, 0, 0]


def test_no_state_besides_config() -> None:
    """The buffers are rebuilt from the config, so nothing enters a checkpoint."""
    frontend = Frontend(FeatureConfig(kind="mfcc"))
    assert frontend.state_dict() == {}
    assert list(frontend.parameters()) == []


def test_precision_is_float32_under_autocast_and_double(librispeech_waves: list[np.ndarray]) -> None:
    """bf16 autocast or a module-wide .double() (e.g. by a Trainer) leave features float32 and unchanged."""
    frontend = Frontend(FeatureConfig())
    wave = torch.from_numpy(librispeech_waves[0][:16000]).unsqueeze(0)
    reference, _ = frontend(wave)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        autocast, _ = frontend(wave)
    doubled, _ = frontend.double()(wave.double())
    assert autocast.dtype == doubled.dtype == torch.float32
    torch.testing.assert_close(autocast, reference)
    torch.testing.assert_close(doubled, reference)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("kind", ["fbank", "mfcc"])
def test_cuda_matches_cpu(librispeech_waves: list[np.ndarray], kind: str) -> None:
    """.to('cuda') moves the buffers; features agree with the CPU's to float32 rounding."""
    frontend = Frontend(FeatureConfig(kind=kind))
    batch, lens = _pad_batch([w[:32000] for w in librispeech_waves[:2]] + [librispeech_waves[2][:20000]], 0.0)
    cpu_feats, cpu_lens = frontend(batch, lens)
    gpu_feats, gpu_lens = frontend.to("cuda")(batch.cuda(), lens.cuda())
    assert gpu_feats.device.type == "cuda" and gpu_lens.device.type == "cuda"
    assert torch.equal(gpu_lens.cpu(), cpu_lens)
    # Quiet bands have tiny powers whose log amplifies rounding: compare in the log domain loosely.
    torch.testing.assert_close(gpu_feats.cpu(), cpu_feats, rtol=1e-3, atol=2e-3)


def test_dither_gives_digital_silence_the_level_of_a_noise_floor(librispeech_waves: list[np.ndarray]) -> None:
    """A run of exact zeros inside real speech, as programs write it, comes out like a -65 dBFS
    noise floor with dither, and more than 10 nats lower (near the log floor) without."""
    rms = 10 ** (-65 / 20)
    speech = torch.from_numpy(librispeech_waves[0][:32000])
    wave = torch.cat([speech, torch.zeros(16000), speech])  # 1 s of digital silence
    noise = rms * torch.randn(16000, generator=torch.Generator().manual_seed(1))
    plain, dithered = Frontend(FeatureConfig()), Frontend(FeatureConfig(dither=rms))
    gap = slice(32000 // 160 + 3, 48000 // 160 - 3)  # frames wholly inside the zeros
    noise_level = plain.features(noise).mean()
    assert abs(dithered.features(wave)[gap].mean() - noise_level) < 0.3
    assert plain.features(wave)[gap].mean() < noise_level - 10
    # speech 30 dB (6.9 nats) or more above the noise in its band barely moves; quieter bins rise
    speech_frames = slice(0, 32000 // 160 - 3)
    before, after = plain.features(wave)[speech_frames], dithered.features(wave)[speech_frames]
    loud = before > plain.features(noise).mean(dim=0) + 6.9  # (T, n_mels) against (n_mels,)
    assert loud.float().mean() > 0.15  # enough bins to judge: 24% of them in this utterance
    assert (after - before)[loud].abs().mean() < 0.02


def test_dither_is_the_same_alone_and_in_a_batch(librispeech_waves: list[np.ndarray]) -> None:
    frontend = Frontend(FeatureConfig(dither=1e-3))
    short, long = (torch.from_numpy(w[:n]) for w, n in zip(librispeech_waves, (20000, 70000)))
    batch, lens = _pad_batch([short.numpy(), long.numpy()], pad_value=0.0)
    feats, feat_lens = frontend(batch, lens)
    torch.testing.assert_close(feats[0, : feat_lens[0]], frontend.features(short))
    assert torch.equal(frontend.features(short), frontend.features(short))
