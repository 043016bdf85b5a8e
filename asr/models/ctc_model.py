"""RNN encoder + linear CTC head."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from asr.models.rnn_encoder import EncoderConfig, RNNEncoder


@dataclass(frozen=True)
class CTCModelConfig:
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    vocab_size: int = 0  # set from the tokenizer when the model is built

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> CTCModelConfig:
        return cls(encoder=EncoderConfig(**d["encoder"]), vocab_size=d["vocab_size"])


class CTCModel(nn.Module):
    """forward(feats (B, T, F), feat_lens (B,)) -> (log_probs (B, T', V), out_lens (B,))."""

    kind = "ctc"
    has_ctc = True  # CTC scores, forced alignment and word times
    has_attention = False  # no speller

    def __init__(self, cfg: CTCModelConfig):
        super().__init__()
        if cfg.vocab_size < 2:
            raise ValueError("vocab_size must count the blank and at least one token")
        self.cfg = cfg
        self.encoder = RNNEncoder(cfg.encoder)
        self.dropout = nn.Dropout(cfg.encoder.dropout)
        self.head = nn.Linear(cfg.encoder.output_dim, cfg.vocab_size)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden, out_lens = self.encode(feats, feat_lens)
        return self.ctc_log_probs(hidden), out_lens

    def encode(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """feats (B, T, F), feat_lens (B,) -> (frames (B, T', E), lengths (B,))."""
        return self.encoder(feats, feat_lens)

    def ctc_log_probs(self, enc: torch.Tensor) -> torch.Tensor:
        """enc (B, T', E) -> log_probs (B, T', V)."""
        return self.head(self.dropout(enc)).log_softmax(dim=-1)

    def loss(self, feats: torch.Tensor, feat_lens: torch.Tensor, targets: torch.Tensor,
             target_lens: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """CTC loss per target token, and its parts by name (only "ctc")."""
        return self.encoded_loss(*self.encode(feats, feat_lens), targets, target_lens)

    def encoded_loss(self, enc: torch.Tensor, enc_lens: torch.Tensor, targets: torch.Tensor,
                     target_lens: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss from encoder output already computed (validation decodes the same frames)."""
        loss = ctc_loss(self.ctc_log_probs(enc), enc_lens, targets, target_lens)
        return loss, {"ctc": loss}

    def output_lengths(self, feat_lens: torch.Tensor) -> torch.Tensor:
        return output_lengths(self.cfg.encoder, feat_lens)


def output_lengths(encoder: EncoderConfig, feat_lens: torch.Tensor) -> torch.Tensor:
    """Frames after the encoder's time reduction, without running it."""
    lengths = feat_lens
    for factor in [encoder.stack] + [2] * encoder.pyramid:
        lengths = (lengths + factor - 1) // factor
    return lengths


def ctc_loss(log_probs: torch.Tensor, out_lens: torch.Tensor, targets: torch.Tensor,
             target_lens: torch.Tensor, blank: int = 0) -> torch.Tensor:
    """Mean over the batch of per-utterance CTC loss divided by target length.

    log_probs (B, T, V), out_lens (B,), targets (B, S) padded with any value, target_lens (B,).
    zero_infinity: an utterance whose labels cannot fit its frames contributes 0 instead of inf.
    """
    return nn.functional.ctc_loss(
        log_probs.transpose(0, 1),  # (B, T, V) -> (T, B, V) as ctc_loss wants
        targets.clamp_min(0),  # padding (PAD_ID, -1) lies past target_lens, where ctc_loss never reads; keep it in range
        out_lens, target_lens, blank=blank, reduction="mean", zero_infinity=True,
    )
