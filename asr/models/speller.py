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

Without input feeding (`input_feeding=False`, Luong et al. 2015's plain global attention) the LSTM
reads only the previous token,

    s_i       = LSTM(embed(y_{i-1}), s_{i-1})

so teacher forcing runs as one fused LSTM call over the whole reference, one batched attention
over every step (dot or additive; the location-aware score reads the previous step's weights and so
needs the steps in turn) and one output layer: the Python loop over output steps is gone from training.
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
    input_feeding: bool = True  # the previous context into the LSTM (step by step); False: all steps at once


class Speller(nn.Module):
    def __init__(self, cfg: SpellerConfig):
        super().__init__()
        if not cfg.input_feeding and cfg.attention == "location":
            raise ValueError("a speller without input feeding (model.input_feeding: false) runs every step at once, "
                             "which location-aware attention cannot (it reads the previous step's weights): "
                             "use model.attention dot or additive")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        if cfg.input_feeding:
            sizes = [cfg.embed_dim + cfg.encoder_dim] + [cfg.hidden] * (cfg.layers - 1)
            self.cells = nn.ModuleList(nn.LSTMCell(size, cfg.hidden) for size in sizes)
        else:  # one fused LSTM over the embedded tokens, dropout between its layers as between the cells
            self.rnn = nn.LSTM(cfg.embed_dim, cfg.hidden, cfg.layers, batch_first=True,
                               dropout=cfg.dropout if cfg.layers > 1 else 0.0)
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
        if self.cfg.input_feeding:
            x = torch.cat([self.embed(tokens), context], dim=-1)
            new_h, new_c = [], []
            for layer, cell in enumerate(self.cells):
                h_l, c_l = cell(x, (h[:, layer], c[:, layer]))
                new_h.append(h_l)
                new_c.append(c_l)
                x = self.dropout(h_l)
            query, h, c = new_h[-1], torch.stack(new_h, 1), torch.stack(new_c, 1)
        else:  # the LSTM's state is (L, N, H); the beam search's is (N, L, H)
            out, (h, c) = self.rnn(self.embed(tokens).unsqueeze(1),
                                   (h.transpose(0, 1).contiguous(), c.transpose(0, 1).contiguous()))
            query, h, c = out[:, 0], h.transpose(0, 1), c.transpose(0, 1)
        context, weights = self.attention(query, keys, enc, mask, weights)
        return self._logits(query, context), (h, c, context, weights, enc, keys, mask)

    def _logits(self, query: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """(..., H) decoder states and (..., E) contexts -> (..., V) logits."""
        return self.out(torch.tanh(self.hidden_out(self.dropout(torch.cat([query, context], dim=-1)))))

    @staticmethod
    def attention_of(state: SpellerState) -> torch.Tensor:
        """The attention weights (N, T) a state holds: its last step's (spread over the frames before any)."""
        return state[3]

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
        if not self.cfg.input_feeding:
            if sampling_prob > 0:
                raise ValueError("a speller without input feeding takes no scheduled sampling")
            return self._parallel(enc, enc_lens, inputs)
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

    def _parallel(self, enc: torch.Tensor, enc_lens: torch.Tensor,
                  inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing without input feeding: each part runs over every step in one call. Padding at the
        end of the inputs never reaches a real step (the LSTM runs forward)."""
        queries, _ = self.rnn(self.embed(inputs))  # (B, S, H)
        context, weights = self.attention.attend(queries, self.attention.prepare(enc), enc,
                                                 padding_mask(enc_lens, enc.size(1)))
        return self._logits(queries, context), weights
