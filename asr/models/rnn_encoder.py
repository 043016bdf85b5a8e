"""Recurrent encoder: LSTM, GRU, Elman or Jordan RNN layers, uni- or bidirectional, with time reduction.

Bidirectional layers run each direction as its own unidirectional RNN over *padded* input. The
forward direction is unaffected by padding that comes after a sequence; the backward direction
reverses every sequence within its own length first, so it too starts on real frames. This keeps
results identical to packed sequences while avoiding packing, which on the CPU (torch 2.11) is
about ten times slower than padded input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from asr.models.jordan import JordanRNN

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "jordan": JordanRNN}


@dataclass(frozen=True)
class EncoderSettings:
    """What a recipe chooses of the encoder (the `model` section of a training config)."""

    cell: str = "lstm"  # "lstm", "gru", "rnn" (Elman, tanh) or "jordan" (feeds back its output; jordan.py)
    hidden: int = 320  # units per direction
    layers: int = 4
    bidirectional: bool = True
    dropout: float = 0.2  # between layers
    stack: int = 3  # frame stacking: concatenate this many input frames, stride the same (1 = off)
    pyramid: int = 0  # the first `pyramid` layers are each followed by a 2x time reduction (LAS pBLSTM)


@dataclass(frozen=True)
class EncoderConfig(EncoderSettings):
    """The settings and the input size, which the features decide."""

    input_dim: int = 80

    @property
    def reduction(self) -> int:
        """Input frames per output frame."""
        return self.stack * 2**self.pyramid

    @property
    def output_dim(self) -> int:
        return self.hidden * (2 if self.bidirectional else 1)


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence within its own length; padding frames stay where they are.

    x : (B, T, H), lengths : (B,) -> (B, T, H)
    """
    steps = torch.arange(x.size(1), device=x.device).expand(x.size(0), -1)  # (B, T)
    flipped = lengths.to(x.device).unsqueeze(1) - 1 - steps
    index = torch.where(flipped >= 0, flipped, steps)
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, max_len) bool, True on real frames."""
    return torch.arange(max_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def stack_frames(x: torch.Tensor, lengths: torch.Tensor, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate `factor` consecutive frames: (B, T, F) -> (B, ceil(T/factor), F*factor).

    The last group of a sequence is completed with the zeros that pad it.
    """
    if factor == 1:
        return x, lengths
    batch, frames, dim = x.shape
    pad = (-frames) % factor
    x = nn.functional.pad(x, (0, 0, 0, pad))
    x = x.reshape(batch, (frames + pad) // factor, dim * factor)
    return x, (lengths + factor - 1) // factor


class RNNEncoder(nn.Module):
    """forward(feats (B, T, F), lengths (B,)) -> (hidden (B, T', output_dim), lengths (B,))."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        if cfg.cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {cfg.cell!r}")
        if not 0 <= cfg.pyramid < cfg.layers:  # a reduction after the last layer would double its output size
            raise ValueError(f"model.pyramid must be at least 0 and below model.layers ({cfg.layers}): the pyramid's "
                             f"2x reductions come between layers, not {cfg.pyramid}")
        self.cfg = cfg
        rnn = CELLS[cfg.cell]
        self.forward_rnns = nn.ModuleList()
        self.backward_rnns = nn.ModuleList()
        in_dim = cfg.input_dim * cfg.stack
        for layer in range(cfg.layers):
            self.forward_rnns.append(rnn(in_dim, cfg.hidden, batch_first=True))
            if cfg.bidirectional:
                self.backward_rnns.append(rnn(in_dim, cfg.hidden, batch_first=True))
            in_dim = cfg.output_dim * (2 if layer < cfg.pyramid else 1)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, lengths = stack_frames(feats, lengths, self.cfg.stack)
        for layer, forward_rnn in enumerate(self.forward_rnns):
            if layer > 0:
                x = self.dropout(x)
            out, _ = forward_rnn(x)
            if self.cfg.bidirectional:
                back, _ = self.backward_rnns[layer](reverse_padded(x, lengths))
                out = torch.cat([out, reverse_padded(back, lengths)], dim=-1)
            # zero the padding so that frame stacking / the pyramid never mixes it into real frames
            x = out * padding_mask(lengths, out.size(1)).unsqueeze(-1)
            if layer < self.cfg.pyramid:
                x, lengths = stack_frames(x, lengths, 2)
        return x, lengths
