"""The speller of Listen-Attend-Spell: an LSTM decoder that attends over the encoder's frames.

At output step i it reads the previous token and the previous context vector (input feeding),
updates its LSTM layers, attends with the new state, and predicts token i from the state and the
new context:

    s_i       = LSTM([embed(y_{i-1}); c_{i-1}], s_{i-1})
    c_i, a_i  = attention(s_i, encoder frames, a_{i-1})
    P(y_i)    = softmax(W_2 tanh(W_1 [s_i; c_i]))

Training feeds the reference tokens (teacher forcing), optionally replacing some with the
model's own previous prediction (scheduled sampling, Bengio et al. 2015). Decoding calls `step`,
whose state is a tuple of tensors with the hypotheses as dim 0, so a beam search can reorder it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from asr.models.attention import Attention
from asr.models.rnn_encoder import padding_mask

# (h (N, L, H), c (N, L, H), context (N, E), weights (N, T), frames (N, T, E), keys (N, T, A), mask (N, T))
SpellerState = tuple[torch.Tensor, ...]


@dataclass(frozen=True)
class SpellerConfig:
    vocab_size: int
    encoder_dim: int
    embed_dim: int = 128
    hidden: int = 320
    layers: int = 1
    attention: str = "location"  # "dot", "additive" or "location"
    attention_dim: int = 256
    dropout: float = 0.1


class Speller(nn.Module):
    def __init__(self, cfg: SpellerConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        sizes = [cfg.embed_dim + cfg.encoder_dim] + [cfg.hidden] * (cfg.layers - 1)
        self.cells = nn.ModuleList(nn.LSTMCell(size, cfg.hidden) for size in sizes)
        self.attention = Attention(cfg.attention, cfg.hidden, cfg.encoder_dim, cfg.attention_dim)
        self.dropout = nn.Dropout(cfg.dropout)
        self.hidden_out = nn.Linear(cfg.hidden + cfg.encoder_dim, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, cfg.vocab_size)

    def init_state(self, enc: torch.Tensor, enc_lens: torch.Tensor) -> SpellerState:
        """enc (B, T, E), enc_lens (B,) -> the state before the first output token."""
        batch, frames, _ = enc.shape
        zeros = enc.new_zeros(batch, self.cfg.layers, self.cfg.hidden)
        mask = padding_mask(enc_lens, frames)
        # the location-aware score starts from weights spread evenly over the real frames (as ESPnet's
        # AttLoc does): a start with all weight on frame 0 taught the joint mini model to keep going back
        # to frame 0, where the backward LSTM holds a summary of the whole utterance
        weights = mask.float() / enc_lens.unsqueeze(1).to(enc.dtype)
        return zeros, zeros.clone(), enc.new_zeros(batch, enc.size(2)), weights, enc, self.attention.prepare(enc), mask

    def _advance(self, tokens: torch.Tensor, state: SpellerState) -> tuple[torch.Tensor, SpellerState]:
        """tokens (N,) -> logits (N, V) and the next state."""
        h, c, context, weights, enc, keys, mask = state
        x = torch.cat([self.embed(tokens), context], dim=-1)
        new_h, new_c = [], []
        for layer, cell in enumerate(self.cells):
            h_l, c_l = cell(x, (h[:, layer], c[:, layer]))
            new_h.append(h_l)
            new_c.append(c_l)
            x = self.dropout(h_l)
        query = new_h[-1]
        context, weights = self.attention(query, keys, enc, mask, weights)
        logits = self.out(torch.tanh(self.hidden_out(self.dropout(torch.cat([query, context], dim=-1)))))
        return logits, (torch.stack(new_h, 1), torch.stack(new_c, 1), context, weights, enc, keys, mask)

    def step(self, tokens: torch.Tensor, state: SpellerState) -> tuple[torch.Tensor, SpellerState]:
        """A beam search's step function: tokens (N,) -> (log_probs (N, V), next state)."""
        logits, state = self._advance(tokens, state)
        return logits.log_softmax(dim=-1), state

    def forward(self, enc: torch.Tensor, enc_lens: torch.Tensor, inputs: torch.Tensor,
                sampling_prob: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced pass over whole sequences.

        enc (B, T, E), enc_lens (B,), inputs (B, S): sos followed by the reference tokens
        sampling_prob: chance, per utterance and step, of feeding the model's own last prediction instead
        returns logits (B, S, V) and attention weights (B, S, T)
        """
        state = self.init_state(enc, enc_lens)
        logits, weights = [], []
        tokens = inputs[:, 0]
        for i in range(inputs.size(1)):
            if i > 0:
                tokens = inputs[:, i]
                if sampling_prob > 0:
                    own = logits[-1].detach().argmax(-1)
                    tokens = torch.where(torch.rand_like(tokens, dtype=torch.float) < sampling_prob, own, tokens)
            step_logits, state = self._advance(tokens, state)
            logits.append(step_logits)
            weights.append(state[3])
        return torch.stack(logits, 1), torch.stack(weights, 1)
