"""Attention over encoder frames: dot-product, additive (Bahdanau) or location-aware (Chorowski).

All three score every encoder frame against the decoder's query, mask the padding and normalise
with a softmax; they differ in the score:

    dot       e_t = <W_q q, W_k h_t> / sqrt(A)                      (LAS, Chan et al. 2016)
    additive  e_t = v . tanh(W_q q + W_k h_t + b)                   (Bahdanau et al. 2015)
    location  e_t = v . tanh(W_q q + W_k h_t + W_f (F * a_prev)_t + b)   (Chorowski et al. 2015)

The location-aware score also sees the previous step's weights a_prev through a 1-D convolution
F, which makes moving forward along the utterance easy to learn and repeating or skipping hard.
"""

from __future__ import annotations

import math

import torch
from torch import nn

KINDS = ("dot", "additive", "location")


class Attention(nn.Module):
    """prepare(enc) once per utterance batch, then forward(query, ...) once per decoder step."""

    def __init__(self, kind: str, query_dim: int, key_dim: int, attention_dim: int,
                 location_channels: int = 10, location_kernel: int = 31):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"attention must be one of {', '.join(KINDS)}, not {kind!r}")
        self.kind = kind
        self.scale = 1 / math.sqrt(attention_dim)
        self.query = nn.Linear(query_dim, attention_dim, bias=kind != "dot")
        self.key = nn.Linear(key_dim, attention_dim, bias=False)
        if kind != "dot":
            self.energy = nn.Linear(attention_dim, 1, bias=False)
        if kind == "location":
            self.location_conv = nn.Conv1d(1, location_channels, location_kernel, padding=location_kernel // 2,
                                           bias=False)
            self.location = nn.Linear(location_channels, attention_dim, bias=False)

    def prepare(self, enc: torch.Tensor) -> torch.Tensor:
        """enc (N, T, E) -> keys (N, T, A): the projection of the frames, the same at every step."""
        return self.key(enc)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor,
                previous: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of attention.

        query    : (N, Q) decoder state
        keys     : (N, T, A) from `prepare`
        values   : (N, T, E) encoder frames
        mask     : (N, T) bool, True on real frames
        previous : (N, T) the previous step's weights (only the location-aware score reads them)
        returns  : context (N, E), weights (N, T)
        """
        if self.kind != "location":
            context, weights = self.attend(query.unsqueeze(1), keys, values, mask)
            return context.squeeze(1), weights.squeeze(1)
        q = self.query(query).unsqueeze(1)  # (N, A) -> (N, 1, A)
        loc = self.location_conv(previous.unsqueeze(1))  # (N, 1, T) -> (N, C, T)
        hidden = keys + q + self.location(loc.transpose(1, 2))  # (N, T, C) -> (N, T, A)
        scores = self.energy(torch.tanh(hidden)).squeeze(-1)  # (N, T, 1) -> (N, T)
        context, weights = self._weigh(scores.unsqueeze(1), values, mask)
        return context.squeeze(1), weights.squeeze(1)

    def attend(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
               mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Every step at once, for the scores that do not read the previous step's weights (dot, additive).

        queries (N, S, Q), keys (N, T, A), values (N, T, E), mask (N, T) -> context (N, S, E), weights (N, S, T)
        """
        if self.kind == "location":
            raise ValueError("location-aware attention reads the previous step's weights: one step at a time")
        q = self.query(queries)  # (N, S, A)
        if self.kind == "dot":
            scores = torch.bmm(q, keys.transpose(1, 2)) * self.scale  # (N, S, T)
        else:  # (N, S, 1, A) + (N, 1, T, A) -> (N, S, T)
            scores = self.energy(torch.tanh(q.unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)
        return self._weigh(scores, values, mask)

    @staticmethod
    def _weigh(scores: torch.Tensor, values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """scores (N, S, T) -> context (N, S, E) and weights (N, S, T), the padding masked out."""
        weights = scores.masked_fill(~mask.unsqueeze(1), float("-inf")).softmax(dim=-1)
        return torch.bmm(weights, values), weights
