"""Audio Word2Vec: a sequence-to-sequence autoencoder whose bottleneck is a spoken segment's vector.

An RNN encoder reads the segment's feature frames; its final states (the forward direction's at
the last real frame, the backward direction's at the first) are projected to the vector z. An
RNN decoder that sees only z, at every step, writes out a frame sequence, scored by the mean
squared error against the target frames (padding excluded):

    z      = W [h_fwd(T); h_bwd(1)] + b                 (vector_dim, default 100)
    x'_t   = V LSTM(z, z, ..., z)_t                     (t = 1 .. target length)

The three variants differ only in what training feeds in and asks back (Chung et al. 2016;
Kamper 2019), so they are one class, told apart by `variant`:

    sa   the segment in, the same segment out
    dsa  the segment with masked frames in (SpecAugment), the clean segment out
    cae  the segment in, another spoken instance of the same word out (correspondence autoencoder,
         started from a trained SA)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from asr.models.rnn_encoder import EncoderConfig, RNNEncoder, padding_mask

VARIANTS = ("sa", "dsa", "cae")


@dataclass(frozen=True)
class AutoencoderSettings:
    """What a recipe chooses of the autoencoder beyond its encoder (the `model` section of a training config)."""

    vector_dim: int = 100  # the size of a segment's vector (Chung et al. 2016 used 100)
    decoder_hidden: int = 320
    decoder_layers: int = 1
    # training only: weight of a speaker classifier that reads the vector through a reversed gradient
    # (Ganin & Lempitsky 2015), so that the encoder unlearns who spoke; 0: none
    speaker_adversary: float = 0.0


@dataclass(frozen=True)
class SeqAutoencoderConfig(AutoencoderSettings):
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    variant: str = "sa"  # "sa", "dsa" or "cae": how the model is trained (its kind in the model file)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SeqAutoencoderConfig:
        return cls(**{**d, "encoder": EncoderConfig(**d["encoder"])})


def masked_mse(output: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the real frames of (B, T, F) sequences; padding frames cost nothing."""
    mask = padding_mask(lengths, target.size(1)).unsqueeze(-1).to(target.dtype)  # (B, T, 1)
    return ((output - target) ** 2 * mask).sum() / (mask.sum() * target.size(-1)).clamp_min(1)


class SeqAutoencoder(nn.Module):
    """embed(feats (B, T, F), lengths (B,)) -> vectors (B, vector_dim); loss(...) trains it."""

    def __init__(self, cfg: SeqAutoencoderConfig):
        super().__init__()
        if cfg.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {cfg.variant!r}")
        if cfg.vector_dim < 1:
            raise ValueError(f"vector_dim must be at least 1, not {cfg.vector_dim}")
        self.cfg = cfg
        self.encoder = RNNEncoder(cfg.encoder)
        self.bottleneck = nn.Linear(cfg.encoder.output_dim, cfg.vector_dim)
        self.decoder = nn.LSTM(cfg.vector_dim, cfg.decoder_hidden, num_layers=cfg.decoder_layers, batch_first=True)
        self.out = nn.Linear(cfg.decoder_hidden, cfg.encoder.input_dim)

    has_ctc = has_attention = False  # vectors out, no tokens

    @property
    def kind(self) -> str:
        return self.cfg.variant

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.embed(feats, lengths)

    def embed(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """feats (B, T, F), lengths (B,) -> vectors (B, vector_dim); a segment's vector does not depend
        on the padding its batch gives it."""
        frames, out_lens = self.encoder(feats, lengths)  # (B, T', H) or (B, T', 2H)
        last = frames[torch.arange(len(frames), device=frames.device), (out_lens - 1).clamp_min(0)]  # (B, H*)
        if self.cfg.encoder.bidirectional:
            hidden = self.cfg.encoder.hidden
            last = torch.cat([last[:, :hidden], frames[:, 0, hidden:]], dim=-1)  # forward at T, backward at 1
        return self.bottleneck(last)

    def reconstruct(self, vectors: torch.Tensor, frames: int) -> torch.Tensor:
        """vectors (B, D) -> a frame sequence (B, frames, F) decoded from the vectors alone."""
        out, _ = self.decoder(vectors.unsqueeze(1).expand(-1, frames, -1).contiguous())
        return self.out(out)

    def loss(self, feats: torch.Tensor, lengths: torch.Tensor, target: torch.Tensor,
             target_lens: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Reconstruction error of `target` (B, T2, F) from the vectors of `feats` (B, T, F)."""
        return self.vectors_loss(self.embed(feats, lengths), target, target_lens)

    def vectors_loss(self, vectors: torch.Tensor, target: torch.Tensor,
                     target_lens: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Reconstruction error of `target` (B, T2, F) from vectors (B, vector_dim) already made."""
        mse = masked_mse(self.reconstruct(vectors, target.size(1)), target, target_lens)
        return mse, {"mse": mse}
