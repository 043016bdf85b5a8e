"""Parity of our features with reference implementations, on real speech.

* log-mel fbank vs ``torchaudio.compliance.kaldi.fbank`` (Kaldi's compute-fbank-feats);
* MFCC vs ``librosa.feature.mfcc``.

The bounds asserted here were measured on the clips loaded in ``conftest.py``
(figures in each test's docstring) and set with roughly 2-3x headroom.
"""

from __future__ import annotations

import math

import librosa
import numpy as np
import pytest
import torch
import torchaudio.compliance.kaldi as kaldi

from asr.features.frontend import FeatureConfig, Frontend

# Kaldi reads 16-bit integers; we read [-1, 1]. Power scales by 32768^2, log by this.
LOG_INT16_POWER = math.log(32768.0**2)  # 20.794
# librosa reports 10 * log10(power); we report ln(power).
DB_PER_NEPER = 10.0 / math.log(10.0)  # 4.343


def _min_bin_correlation(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """Smallest Pearson correlation over feature dims of two (T, D) matrices."""
    a, b = ours.double() - ours.double().mean(0), ref.double() - ref.double().mean(0)
    return (a * b).sum(0).div(a.norm(dim=0) * b.norm(dim=0)).min().item()


def _kaldi_fbank(wave: np.ndarray, sample_rate: int, n_mels: int) -> torch.Tensor:
    """Kaldi fbank (T, n_mels) with every option spelled out, matched to FeatureConfig()."""
    return kaldi.fbank(
        torch.from_numpy(wave).unsqueeze(0) * 32768.0,
        sample_frequency=sample_rate,
        num_mel_bins=n_mels,
        frame_length=25.0,
        frame_shift=10.0,
        low_freq=20.0,
        high_freq=0.0,  # Nyquist
        dither=0.0,  # Kaldi's default 1.0 adds noise; ours is deterministic
        window_type="povey",
        preemphasis_coefficient=0.97,
        remove_dc_offset=True,
        round_to_power_of_two=True,  # 400 -> 512 at 16 kHz, 200 -> 256 at 8 kHz
        snip_edges=True,
        use_energy=False,
        use_log_fbank=True,
        use_power=True,
    )


@pytest.mark.parametrize(
    ("waves_fixture", "sample_rate", "n_fft", "n_mels"),
    [("librispeech_waves", 16000, 512, 80), ("fsdd_waves", 8000, 256, 40)],
)
def test_fbank_matches_kaldi(
    request: pytest.FixtureRequest, waves_fixture: str, sample_rate: int, n_fft: int, n_mels: int
) -> None:
    """Our default fbank equals Kaldi's up to a constant 20.79 and ~0.003 nats.

    Same frames (snip_edges), window (povey), DC removal, pre-emphasis (in-frame,
    0.97), FFT size, frequency range and power spectrum. The remaining differences:

    * input scale: [-1, 1] instead of int16, a constant ``ln(32768^2) = 20.79``
      on every log energy, removed before comparing;
    * mel filters: ours are triangles linear in Hz between HTK-mel-spaced corners
      (torchaudio/librosa ``htk``), Kaldi's are linear in mel and give the Nyquist
      bin zero weight -- this is almost all of the residual;
    * log floor: ours is ``log(x + 1e-10)``, Kaldi's ``log(max(x, FLT_EPSILON))``
      at int16 scale, i.e. 1.1e-16 at ours. It acts only where a band's power is
      below ~1e-10 (near-silent pauses in the narrow lowest bands): 3% of the
      values of 5694-64038-0005, which has digital silence, and ~0 elsewhere;
      there ours is clipped at ln(1e-10) = -23.0 and Kaldi's goes lower;
    * no dither on either side here (Kaldi's default dither=1 is training noise).

    Measured over the 4 + 4 clips (16 kHz, 80 mels / 8 kHz, 40 mels), worst clip:
    |mean diff| 0.0016 / 0.0004; mean |diff| 0.0039 / 0.0042, the same after
    removing each bin's mean; max |diff| where our power is > 1e-8 (100x the
    floor) 0.021 / 0.020; share of |diff| > 0.1 0.16% / 0; minimum per-bin
    correlation 0.9997 / 0.99997.
    """
    frontend = Frontend(FeatureConfig(sample_rate=sample_rate, n_fft=n_fft, n_mels=n_mels))
    for wave in request.getfixturevalue(waves_fixture):
        ours = frontend.features(torch.from_numpy(wave))
        ref = _kaldi_fbank(wave, sample_rate, n_mels)
        assert ours.shape == ref.shape == (frontend.num_frames(len(wave)), n_mels)
        diff = ours + LOG_INT16_POWER - ref  # (T, n_mels)
        centred_diff = (ours - ours.mean(0)) - (ref - ref.mean(0))
        above_floor = ours > math.log(1e-8)
        assert diff.mean().abs().item() < 0.005
        assert diff.abs().mean().item() < 0.01
        assert centred_diff.abs().mean().item() < 0.01
        assert diff[above_floor].abs().max().item() < 0.05
        assert (diff.abs() > 0.1).float().mean().item() < 0.005
        assert _min_bin_correlation(ours, ref) > 0.999


def _librosa_mfcc(wave: np.ndarray, cfg: FeatureConfig, window: np.ndarray, preemphasise: bool) -> torch.Tensor:
    """``librosa.feature.mfcc`` (T, n_mfcc), converted to our units (natural log).

    librosa frames ``n_fft`` samples and centres the ``win_length`` window in
    them; shifting the signal by ``(n_fft - win) / 2`` makes its frame t see
    exactly our samples ``[t * hop, t * hop + win)`` (zero-padding position
    changes only the phase, not the power spectrum), so T matches too.
    """
    if preemphasise:
        # Whole-signal pre-emphasis differs from ours (in-frame) only at each frame's
        # first sample, where the povey window is exactly 0.
        wave = librosa.effects.preemphasis(wave, coef=cfg.preemphasis)
    left = (cfg.n_fft - cfg.win_length) // 2
    wave = np.pad(wave, (left, cfg.n_fft - cfg.win_length - left))
    mel_power = librosa.feature.melspectrogram(
        y=wave,
        sr=cfg.sample_rate,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop_length,
        win_length=cfg.win_length,
        window=window,
        center=False,
        power=2.0,
        n_mels=cfg.n_mels,
        fmin=cfg.f_min,
        fmax=cfg.sample_rate / 2,
        htk=True,  # HTK mel formula, as ours
        norm=None,  # unnormalised triangles (peak 1), as ours and Kaldi's
    )
    log_mel_db = librosa.power_to_db(mel_power, amin=1e-10, top_db=None)  # no 80 dB clipping
    mfcc = librosa.feature.mfcc(S=log_mel_db, n_mfcc=cfg.n_mfcc, dct_type=2, norm="ortho", lifter=0)
    return torch.from_numpy(mfcc.T / DB_PER_NEPER).float()


@pytest.mark.parametrize(
    ("waves_fixture", "sample_rate", "n_fft", "n_mels"),
    [("librispeech_waves", 16000, 512, 80), ("fsdd_waves", 8000, 256, 40)],
)
def test_mfcc_matches_librosa_without_kaldi_steps(
    request: pytest.FixtureRequest, waves_fixture: str, sample_rate: int, n_fft: int, n_mels: int
) -> None:
    """With Kaldi's extra steps off, our MFCC is librosa's to float32 precision.

    Config: Hann window, no pre-emphasis, no DC removal; librosa gets the same
    symmetric Hann window. Remaining differences: the unit (ln vs dB, divided
    out) and the floor (``+ 1e-10`` vs ``max(., 1e-10)``, up to ln 2 in bands at
    the floor, which every cepstrum of that frame shares).

    Measured, worst clip: mean |diff| 2.9e-4 nats (5694-64038-0005, with digital
    silence; <= 6e-5 for the others), max |diff| 0.014 nats.
    """
    cfg = FeatureConfig(
        kind="mfcc", sample_rate=sample_rate, n_fft=n_fft, n_mels=n_mels, window="hann", preemphasis=0.0, remove_dc=False
    )
    frontend = Frontend(cfg)
    window = frontend.window.double().numpy()
    for wave in request.getfixturevalue(waves_fixture):
        ours = frontend.features(torch.from_numpy(wave))
        ref = _librosa_mfcc(wave, cfg, window, preemphasise=False)
        assert ours.shape == ref.shape == (frontend.num_frames(len(wave)), cfg.n_mfcc)
        diff = (ours - ref).abs()
        assert diff.mean().item() < 1e-3
        assert diff.max().item() < 0.05


@pytest.mark.parametrize(
    ("waves_fixture", "sample_rate", "n_fft", "n_mels"),
    [("librispeech_waves", 16000, 512, 80), ("fsdd_waves", 8000, 256, 40)],
)
def test_default_mfcc_vs_librosa_differs_only_by_dc_removal(
    request: pytest.FixtureRequest, waves_fixture: str, sample_rate: int, n_fft: int, n_mels: int
) -> None:
    """Default MFCC vs librosa fed our povey window and a pre-emphasised signal.

    Window and pre-emphasis are reproduced exactly this way, so without DC removal
    the two agree to float precision. Per-frame DC removal (Kaldi's default, which
    we keep) has no librosa counterpart: it changes the lowest mel bands (below
    ~100 Hz), where high-passed recordings with a small DC offset (LibriSpeech:
    about -64 dBFS) have almost no other energy. One band's change spreads evenly
    over all cepstra, hence a per-coefficient offset of similar size everywhere.

    Measured, worst clip, without DC removal: mean |diff| 4.4e-3 nats (the clip
    with digital silence: pre-emphasis puts more low bands at the floor; <= 9e-5
    elsewhere). With DC removal: mean |diff| 0.134 (16 kHz) / 0.076 (8 kHz) nats,
    minimum per-coefficient correlation 0.991 / 0.988.
    """
    cfg = FeatureConfig(kind="mfcc", sample_rate=sample_rate, n_fft=n_fft, n_mels=n_mels)
    with_dc_removal = Frontend(cfg)
    without_dc_removal = Frontend(FeatureConfig(**{**cfg.__dict__, "remove_dc": False}))
    window = with_dc_removal.window.double().numpy()
    for wave in request.getfixturevalue(waves_fixture):
        ref = _librosa_mfcc(wave, cfg, window, preemphasise=True)
        exact = without_dc_removal.features(torch.from_numpy(wave))
        assert exact.shape == ref.shape
        assert (exact - ref).abs().mean().item() < 0.01
        ours = with_dc_removal.features(torch.from_numpy(wave))
        assert (ours - ref).abs().mean().item() < 0.3
        assert _min_bin_correlation(ours, ref) > 0.97
