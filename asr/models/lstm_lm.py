"""An LSTM language model over the tokenizer's ids, for shallow fusion in beam search.

It predicts each token of a sentence from the ones before it, starting from <sos/eos> and ending
by predicting <sos/eos>, so the same ids and the same sentence symbol serve the acoustic model
and the language model. `step` is the beam searches' step function.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

LMState = tuple[torch.Tensor, torch.Tensor]  # h, c: (N, layers, hidden), hypotheses first for beam search


@dataclass(frozen=True)
class LSTMLMConfig:
    vocab_size: int = 0  # set from the tokenizer
    eos_id: int = -1
    embed_dim: int = 256
    hidden: int = 512
    layers: int = 2
    dropout: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LSTMLMConfig:
        return cls(**d)


class LSTMLM(nn.Module):
    """forward(tokens (B, S)) -> logits (B, S, V) of each next token."""

    kind = "lstm_lm"
    has_ctc = has_attention = False  # text in, no audio

    def __init__(self, cfg: LSTMLMConfig):
        super().__init__()
        if not 0 <= cfg.eos_id < cfg.vocab_size:
            raise ValueError("a language model needs a tokenizer with a <sos/eos> symbol")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        self.lstm = nn.LSTM(cfg.embed_dim, cfg.hidden, cfg.layers, batch_first=True,
                            dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden, cfg.vocab_size)

    def forward(self, tokens: torch.Tensor, state: LMState | None = None) -> tuple[torch.Tensor, LMState]:
        """tokens (B, S), state (h, c) each (B, layers, hidden) or None -> logits (B, S, V), state."""
        lstm_state = None if state is None else tuple(s.transpose(0, 1).contiguous() for s in state)
        out, (h, c) = self.lstm(self.dropout(self.embed(tokens)), lstm_state)
        return self.out(self.dropout(out)), (h.transpose(0, 1), c.transpose(0, 1))

    def loss(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Cross-entropy per token of sentences tokens (B, S) padded with -1, lengths (B,); eos is predicted too."""
        eos = self.cfg.eos_id
        batch = tokens.size(0)
        inputs = torch.cat([tokens.new_full((batch, 1), eos), tokens.masked_fill(tokens < 0, eos)], dim=1)
        outputs = torch.cat([tokens, tokens.new_full((batch, 1), -1)], dim=1)
        outputs[torch.arange(batch), lengths] = eos
        logits, _ = self(inputs)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), outputs.flatten(), ignore_index=-1)
        return loss, {"lm": loss}

    def step(self, tokens: torch.Tensor, state: LMState | None) -> tuple[torch.Tensor, LMState]:
        """A beam search's step function: tokens (N,) -> (log-probs of the next token (N, V), state).

        The first call passes the <sos/eos> id and state None.
        """
        tokens = tokens.to(self.embed.weight.device)  # callers such as the CTC beam search build them on the CPU
        logits, state = self(tokens.unsqueeze(1), state)
        return logits[:, 0].log_softmax(dim=-1), state
