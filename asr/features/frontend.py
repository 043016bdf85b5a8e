"""Waveform -> log-mel filterbank or MFCC features, batched, on any device.

The pipeline follows Kaldi's ``compute-fbank-feats`` so that features are close
to ``torchaudio.compliance.kaldi.fbank`` (see ``tests/features``):

1. frame with ``snip_edges`` (no centring, no padding):
   ``T = 1 + (S - win) // hop`` frames, 0 when ``S < win``; frame ``t`` covers
   samples ``[t * hop, t * hop + win)``, so it never reads padding of a batch;
2. remove each frame's DC offset;
3. pre-emphasise inside each frame (the first sample is emphasised against itself);
4. multiply by the window ("povey" = Hann ** 0.85, Kaldi's default);
5. zero-pad to ``n_fft`` and take the power spectrum ``|rfft|^2``;
6. apply HTK-mel triangular filters and take ``log(mel + log_floor)``;
7. for MFCC, an orthonormal DCT-II of the log-mel keeps the first ``n_mfcc``.

Known differences from Kaldi's fbank (all stated and bounded in the parity test):

* the waveform is taken in [-1, 1], not 16-bit integers, so log energies are
  lower by ``ln(32768 ** 2) = 20.79`` (a constant that CMVN removes);
* dither (off by default) is one fixed noise sequence, not fresh noise per call, so
  features stay a pure function of the waveform (see ``FeatureConfig.dither``);
* the mel filters are triangles linear in Hz between HTK-mel-spaced corners
  (``torchaudio.functional.melscale_fbanks``, the same as librosa with
  ``htk=True, norm=None``); Kaldi makes them linear in mel;
* the log floor is additive (``log(x + 1e-10)``) instead of Kaldi's
  ``log(max(x, FLT_EPSILON))`` at int16 scale (1.1e-16 at ours); it acts only
  on bands with power below ~1e-10 (digital silence, near-silent pauses in the
  narrow lowest bands), which it bounds at ln(1e-10) = -23 instead of letting
  them reach -37 and dominate the variance that CMVN estimates.

Net effect on real speech: mean |ours + 20.79 - kaldi| <= 0.004 nats. Kaldi
rounds the FFT to the next power of two of the window (512 at 16 kHz, 256 at
8 kHz); set ``n_fft`` the same to compare at 8 kHz.

And from ``librosa.feature.mfcc``: natural log instead of ``power_to_db``
(a factor ``10 / ln 10`` and no ``top_db`` clipping), per-frame DC removal and
pre-emphasis, the povey window, and librosa's frame of ``n_fft`` samples with the
window centred in it (the same spectrum as ours once the signal is shifted).
Window and whole-signal pre-emphasis can be handed to librosa; per-frame DC
removal cannot, and it is the one difference that remains visible (lowest bands).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio
from torch import Tensor

from asr.features.freq_warp import warp_filterbank

__all__ = ["FeatureConfig", "Frontend"]


DITHER_PERIOD_S = 30  # length of the fixed dither sequence; longer input repeats it


@dataclass(frozen=True)
class FeatureConfig:
    """What the frontend computes; stored with a model so features can be rebuilt.

    Defaults are Kaldi's (25 ms / 10 ms, povey window, DC removal, pre-emphasis
    0.97, 20 Hz low cut) so the parity with ``kaldi.fbank`` is tight and recipes
    ported from Kaldi/icefall keep their behaviour.
    """

    kind: str = "fbank"  # "fbank" (log-mel filterbank) or "mfcc"
    sample_rate: int = 16000
    n_mels: int = 80
    n_mfcc: int = 40  # used when kind == "mfcc"
    win_ms: float = 25.0
    hop_ms: float = 10.0
    n_fft: int = 512  # >= window length; the frame is zero-padded up to it
    f_min: float = 20.0
    f_max: float | None = None  # None = Nyquist
    preemphasis: float = 0.97  # 0 disables
    window: str = "povey"  # "povey" (Hann ** 0.85), "hann" or "hamming"; all symmetric
    remove_dc: bool = True  # subtract each frame's mean before pre-emphasis
    log_floor: float = 1e-10  # added to mel power before the log
    # RMS of white noise added to every waveform (full scale = 1), at training and at inference:
    # a noise floor for input that has none. Audio made by a program has runs of exact zeros,
    # which no microphone records; if training audio always had a noise floor, those runs are
    # features the model never saw. The noise is one fixed sequence (seed 0), so a file gives
    # the same features alone or in any batch. Kaldi's dither=1 is 1/32768 = 3e-5.
    dither: float = 0.0
    # "global": (x - mean) / std with training-set statistics; "utterance": subtract each
    # utterance's own mean first (removes the microphone and level of a recording, which helps
    # when training has few speakers or channels), then divide by the global std; "running": as
    # "utterance" with the mean of the frames so far, which a stream can compute (Kaldi's online
    # CMN), started from the training set's mean as if it had been seen for `running_prior_frames`.
    normalize: str = "global"
    running_prior_frames: int = 100  # 1 s: the first second leans on the training mean, later the speaker's own

    def __post_init__(self) -> None:
        """Settings that cannot make features are refused when the config is read, not after reading the data."""
        if self.kind not in ("fbank", "mfcc"):
            raise ValueError(f"unknown feature kind {self.kind!r}; expected 'fbank' or 'mfcc'")
        if self.n_fft < self.win_length:
            raise ValueError(f"n_fft={self.n_fft} is shorter than the window ({self.win_length} samples)")
        bins = self.n_fft // 2 + 1
        if self.n_mels > bins:  # more bands than frequencies: most of them empty
            raise ValueError(f"n_mels={self.n_mels} is more than the {bins} frequency bins of n_fft={self.n_fft}")
        if self.kind == "mfcc" and self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} exceeds n_mels={self.n_mels}")
        if self.hop_length < 1 or self.win_length < 1:
            raise ValueError(f"win_ms and hop_ms must be at least one sample at {self.sample_rate} Hz")

    @property
    def win_length(self) -> int:
        """Window length in samples (Kaldi truncates: 25 ms at 16 kHz = 400)."""
        return int(self.sample_rate * self.win_ms / 1000.0)

    @property
    def hop_length(self) -> int:
        """Frame shift in samples (10 ms at 16 kHz = 160)."""
        return int(self.sample_rate * self.hop_ms / 1000.0)


def _make_window(name: str, length: int) -> Tensor:
    """Symmetric analysis window, shape (length,), as Kaldi builds them."""
    if name == "povey":
        return torch.hann_window(length, periodic=False, dtype=torch.float64).pow(0.85)
    if name == "hann":
        return torch.hann_window(length, periodic=False, dtype=torch.float64)
    if name == "hamming":
        return torch.hamming_window(length, periodic=False, alpha=0.54, beta=0.46, dtype=torch.float64)
    raise ValueError(f"unknown window {name!r}; expected 'povey', 'hann' or 'hamming'")


class Frontend(torch.nn.Module):
    """Waveform -> features, as an ``nn.Module`` so ``.to(device)`` moves its constants.

    ``forward(wave (B, S) float, wave_lens (B,) int64) -> (feats (B, T, D), feat_lens (B,) int64)``
    with ``T = num_frames(S)`` and ``feat_lens = num_frames(wave_lens)``; frames at or
    beyond an utterance's ``feat_lens`` are exactly zero. ``features(wave (S,)) -> (T, D)``
    does one utterance. The only state is the config: window, mel filters and DCT are
    non-persistent buffers rebuilt from it, so they never enter a checkpoint.
    """

    def __init__(self, cfg: FeatureConfig) -> None:
        super().__init__()
        self.cfg = cfg
        f_max = cfg.f_max if cfg.f_max is not None else cfg.sample_rate / 2
        window = _make_window(cfg.window, cfg.win_length).float()
        # (n_fft // 2 + 1, n_mels): triangles in Hz between HTK-mel-spaced corners.
        mel_fb = torchaudio.functional.melscale_fbanks(
            cfg.n_fft // 2 + 1, cfg.f_min, f_max, cfg.n_mels, cfg.sample_rate, norm=None, mel_scale="htk"
        )
        self.register_buffer("window", window, persistent=False)
        self.register_buffer("mel_fb", mel_fb, persistent=False)
        if cfg.dither > 0:
            noise = torch.randn(cfg.sample_rate * DITHER_PERIOD_S, generator=torch.Generator().manual_seed(0))
            self.register_buffer("dither_noise", cfg.dither * noise, persistent=False)
        if cfg.kind == "mfcc":
            # (n_mels, n_mfcc): orthonormal DCT-II, as librosa's dct_type=2, norm="ortho".
            dct = torchaudio.functional.create_dct(cfg.n_mfcc, cfg.n_mels, norm="ortho")
            self.register_buffer("dct", dct, persistent=False)

    @property
    def dim(self) -> int:
        """Feature dimension D: n_mels for fbank, n_mfcc for MFCC."""
        return self.cfg.n_mfcc if self.cfg.kind == "mfcc" else self.cfg.n_mels

    def num_frames(self, num_samples: int | Tensor) -> int | Tensor:
        """Frames in ``num_samples`` samples: ``1 + (S - win) // hop``, 0 if ``S < win``.

        Works elementwise on an integer tensor (e.g. wave_lens (B,) -> feat_lens (B,)).
        """
        win, hop = self.cfg.win_length, self.cfg.hop_length
        if isinstance(num_samples, Tensor):
            n = num_samples.long()
            return torch.where(n >= win, 1 + torch.div(n - win, hop, rounding_mode="floor"), torch.zeros_like(n))
        return 1 + (num_samples - win) // hop if num_samples >= win else 0

    def forward(self, wave: Tensor, wave_lens: Tensor | None = None,
                warp: Tensor | None = None, start: int = 0) -> tuple[Tensor, Tensor]:
        """Features of a padded batch.

        Args:
            wave: (B, S) float waveform in [-1, 1], right-padded.
            wave_lens: (B,) int64 valid samples per utterance; None means all S.
            warp: (B, n_fft // 2 + 1) per-utterance frequency warp (`freq_warp.random_warps`),
                a training-time augmentation; None uses the plain filterbank.
            start: the index of the first sample in the whole recording, for a stream's later pieces
                (it places the dither sequence; a piece starting on a frame boundary gets that frame).

        Returns:
            feats: (B, T, D) float32 with T = num_frames(S), zero beyond feat_lens.
            feat_lens: (B,) int64 = num_frames(wave_lens).
        """
        if wave.dim() != 2:
            raise ValueError(f"expected wave of shape (B, S), got {tuple(wave.shape)}; use features() for (S,)")
        batch, samples = wave.shape
        if wave_lens is None:
            wave_lens = torch.full((batch,), samples, dtype=torch.long, device=wave.device)
        feat_lens = self.num_frames(wave_lens.to(wave.device))
        # Mixed-precision training must not turn the log of small powers into bf16 noise.
        with torch.autocast(device_type=wave.device.type, enabled=False):
            wave = wave.float()
            if self.cfg.dither > 0:
                # the sequence repeats after its period
                where = (torch.arange(samples, device=wave.device) + start) % self.dither_noise.numel()
                wave = wave + self.dither_noise.float()[where]
            feats = self._compute(wave, warp)
        # Frames past an utterance's end read only padding (or straddle it): zero them.
        valid = torch.arange(feats.shape[1], device=feats.device) < feat_lens.unsqueeze(1)  # (B, T)
        feats = feats * valid.unsqueeze(-1)
        return feats, feat_lens

    def features(self, wave: Tensor) -> Tensor:
        """Features of one utterance: wave (S,) -> (T, D)."""
        if wave.dim() != 1:
            raise ValueError(f"expected wave of shape (S,), got {tuple(wave.shape)}")
        return self.forward(wave.unsqueeze(0))[0][0]

    def _compute(self, wave: Tensor, warp: Tensor | None = None) -> Tensor:
        """(B, S) float32 -> (B, T, D) for every complete frame, ignoring lengths."""
        cfg = self.cfg
        win, hop = cfg.win_length, cfg.hop_length
        if wave.shape[1] < win:
            return wave.new_zeros(wave.shape[0], 0, self.dim)
        frames = wave.unfold(1, win, hop)  # (B, S) -> (B, T, win), a view
        if cfg.remove_dc:
            frames = frames - frames.mean(dim=-1, keepdim=True)
        if cfg.preemphasis != 0.0:
            # Kaldi emphasises within the frame; sample 0 uses itself as predecessor.
            prev = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
            frames = frames - cfg.preemphasis * prev
        # .float(): compute in float32 even after a module-wide .double() or .half().
        frames = frames * self.window.float()
        spec = torch.fft.rfft(frames, n=cfg.n_fft)  # zero-pads on the right: (B, T, n_fft // 2 + 1)
        power = spec.real.square() + spec.imag.square()
        mel_fb = self.mel_fb.float() if warp is None else warp_filterbank(self.mel_fb.float(), warp)  # (B?, F, M)
        log_mel = torch.log(power @ mel_fb + cfg.log_floor)  # (B, T, n_mels)
        if cfg.kind == "mfcc":
            return log_mel @ self.dct.float()  # (B, T, n_mels) -> (B, T, n_mfcc)
        return log_mel
