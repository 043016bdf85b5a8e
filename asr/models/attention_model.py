"""Listen-Attend-Spell and joint CTC/attention: one encoder, an attention decoder, an optional CTC head.

The loss is ``λ·CTC + (1-λ)·attention`` with λ = ``ctc_weight`` (Kim, Hori and Watanabe 2017):
λ = 0 is a pure Listen-Attend-Spell model (no CTC head is built); with λ > 0 a CTC head on the
encoder trains beside the speller, which speeds the encoder's learning and keeps the attention
monotonic. A joint model's beam search also scores prefixes with that head; a LAS model trained
with one (``ctc_in_search`` false, as its kind sets it) is still decoded by the speller alone.
Both losses are per output token, so λ weighs like against like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from asr.models.ctc_model import ctc_loss, output_lengths
from asr.models.rnn_encoder import EncoderConfig, RNNEncoder
from asr.models.speller import Speller, SpellerConfig, SpellerState


@dataclass(frozen=True)
class AttentionSettings:
    """What a recipe chooses of the attention decoder and the joint loss (the `model` section of a
    training config)."""

    # λ in λ·CTC + (1-λ)·attention; None: the kind's (joint 0.3, las 0: no CTC head). A las model with λ > 0
    # trains a CTC head beside its speller and is decoded without it
    ctc_weight: float | None = None
    attention: str = "location"  # "dot", "additive" or "location"
    # feed the previous step's context into the speller's LSTM (Chan et al.'s LAS); False drops it (Luong et al.
    # 2015), so teacher forcing runs over all steps at once (dot or additive attention; no scheduled sampling)
    input_feeding: bool = True
    attention_dim: int = 256
    decoder_hidden: int = 320
    decoder_layers: int = 1
    embed_dim: int = 128
    decoder_dropout: float = 0.1
    label_smoothing: float = 0.1
    sampling_prob: float = 0.0  # scheduled sampling: chance of feeding the speller its own last prediction
    guided_attention: float = 0.0  # weight of the guided-attention loss (0 = none); see `guided_attention_loss`


@dataclass(frozen=True)
class AttentionModelConfig(AttentionSettings):
    """The settings, the encoder, and what the tokenizer and the kind decide."""

    ctc_weight: float = 0.0  # λ; 0: no CTC head
    ctc_in_search: bool = True  # the beam search weighs the CTC head's prefix scores (joint; las: false)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    vocab_size: int = 0  # set from the tokenizer when the model is built
    eos_id: int = -1  # the tokenizer's <sos/eos>: the speller starts from it and ends with it
    blank_id: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AttentionModelConfig:
        return cls(**{**d, "encoder": EncoderConfig(**d["encoder"])})


class AttentionModel(nn.Module):
    """encode(feats (B, T, F), feat_lens (B,)) -> (frames (B, T', E), lengths (B,)); the speller decodes them."""

    def __init__(self, cfg: AttentionModelConfig):
        super().__init__()
        if cfg.vocab_size < 3:
            raise ValueError("vocab_size must count the blank, <sos/eos> and at least one token")
        if not 0 <= cfg.eos_id < cfg.vocab_size:
            raise ValueError("an attention model needs a tokenizer with a <sos/eos> symbol")
        if not 0.0 <= cfg.ctc_weight <= 1.0:
            raise ValueError(f"model.ctc_weight must be between 0 and 1, not {cfg.ctc_weight}")
        if not cfg.ctc_in_search and cfg.ctc_weight == 1.0:
            raise ValueError("a las model with model.ctc_weight 1 would train no speller, its only decoder: "
                             "use below 1 (or model.kind ctc)")
        if not cfg.input_feeding and cfg.sampling_prob > 0:
            raise ValueError("scheduled sampling (model.sampling_prob) feeds the speller its own predictions step "
                             "by step, which a speller without input feeding (model.input_feeding: false) does not")
        self.cfg = cfg
        self.encoder = RNNEncoder(cfg.encoder)
        dim = cfg.encoder.output_dim
        self.ctc_head = nn.Linear(dim, cfg.vocab_size) if cfg.ctc_weight > 0 else None
        self.speller = Speller(SpellerConfig(
            vocab_size=cfg.vocab_size, encoder_dim=dim, embed_dim=cfg.embed_dim, hidden=cfg.decoder_hidden,
            layers=cfg.decoder_layers, attention=cfg.attention, attention_dim=cfg.attention_dim,
            dropout=cfg.decoder_dropout, input_feeding=cfg.input_feeding))
        self.dropout = nn.Dropout(cfg.encoder.dropout)

    @property
    def kind(self) -> str:
        return "joint" if self.ctc_head is not None and self.cfg.ctc_in_search else "las"

    @property
    def has_ctc(self) -> bool:
        """Whether it has a CTC head (joint models): CTC scores, forced alignment and word times."""
        return self.ctc_head is not None

    has_attention = True  # a speller: attention search and attention weights

    @property
    def search_ctc_weight(self) -> float:
        """The weight of CTC prefix scores in this model's own beam search: λ for a joint model, 0 for
        LAS (a CTC head trained beside its speller only helped it learn)."""
        return self.cfg.ctc_weight if self.kind == "joint" else 0.0

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's frames; decoding then runs the speller over them (see `decoder_step`)."""
        return self.encode(feats, feat_lens)

    def encode(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """feats (B, T, F), feat_lens (B,) -> (frames (B, T', E), lengths (B,))."""
        return self.encoder(feats, feat_lens)

    def ctc_log_probs(self, enc: torch.Tensor) -> torch.Tensor | None:
        """enc (B, T', E) -> CTC log-probs (B, T', V), or None for a model without a CTC head."""
        if self.ctc_head is None:
            return None
        return self.ctc_head(self.dropout(enc)).log_softmax(dim=-1)

    def decoder_state(self, enc: torch.Tensor, enc_lens: torch.Tensor) -> SpellerState:
        return self.speller.init_state(enc, enc_lens)

    def decoder_step(self, tokens: torch.Tensor, state: SpellerState) -> tuple[torch.Tensor, SpellerState]:
        """tokens (N,) -> (log-probs of the next token (N, V), next state)."""
        return self.speller.step(tokens, state)

    def decoder_attention(self, state: SpellerState) -> torch.Tensor:
        """The speller's attention weights (N, T') at the step that gave `state`."""
        return self.speller.attention_of(state)

    def output_lengths(self, feat_lens: torch.Tensor) -> torch.Tensor:
        return output_lengths(self.cfg.encoder, feat_lens)

    def _speller_io(self, targets: torch.Tensor, target_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded targets (B, S) -> speller inputs (B, S+1): sos y_1..y_S, and outputs (B, S+1): y_1..y_S eos.

        Padding (any negative id) stays in the outputs, where cross-entropy ignores it; in the inputs it
        becomes eos, which only ever feeds steps whose outputs are ignored.
        """
        eos = self.cfg.eos_id
        batch = targets.size(0)
        column = targets.new_full((batch, 1), eos)
        inputs = torch.cat([column, targets.masked_fill(targets < 0, eos)], dim=1)
        outputs = torch.cat([targets, targets.new_full((batch, 1), -1)], dim=1)
        outputs[torch.arange(batch), target_lens] = eos
        return inputs, outputs

    def attention_loss(self, enc: torch.Tensor, enc_lens: torch.Tensor, targets: torch.Tensor,
                       target_lens: torch.Tensor) -> torch.Tensor:
        """Label-smoothed cross-entropy per output token (eos included)."""
        inputs, outputs = self._speller_io(targets, target_lens)
        sampling = self.cfg.sampling_prob if self.training else 0.0
        logits, weights = self.speller(enc, enc_lens, inputs, sampling)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), outputs.flatten(), ignore_index=-1,
                                           label_smoothing=self.cfg.label_smoothing)
        if self.cfg.guided_attention > 0:
            loss = loss + self.cfg.guided_attention * guided_attention_loss(weights, target_lens + 1, enc_lens)
        return loss

    def loss(self, feats: torch.Tensor, feat_lens: torch.Tensor, targets: torch.Tensor,
             target_lens: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """λ·CTC + (1-λ)·attention, and the parts by name (for logging)."""
        return self.encoded_loss(*self.encode(feats, feat_lens), targets, target_lens)

    def encoded_loss(self, enc: torch.Tensor, enc_lens: torch.Tensor, targets: torch.Tensor,
                     target_lens: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss from encoder output already computed (validation decodes the same frames)."""
        parts = {"att": self.attention_loss(enc, enc_lens, targets, target_lens)}
        if self.ctc_head is not None:
            parts["ctc"] = ctc_loss(self.ctc_log_probs(enc), enc_lens, targets, target_lens, self.cfg.blank_id)
            total = self.cfg.ctc_weight * parts["ctc"] + (1 - self.cfg.ctc_weight) * parts["att"]
        else:
            total = parts["att"]
        return total, parts

    def _padded(self, tokens: list[list[int]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Token lists -> (targets (B, S) padded with -1, lengths (B,))."""
        lens = torch.tensor([len(t) for t in tokens], device=device)
        padded = torch.full((len(tokens), max(1, int(lens.max()))), -1, dtype=torch.long, device=device)
        for b, t in enumerate(tokens):
            padded[b, :len(t)] = torch.tensor(t, dtype=torch.long)
        return padded, lens

    def attention_weights(self, enc: torch.Tensor, enc_lens: torch.Tensor, tokens: list[list[int]]) -> list[torch.Tensor]:
        """Where the speller looks while it spells each hypothesis: one (len + 1, T_b) matrix per utterance."""
        padded, lens = self._padded(tokens, enc.device)
        inputs, _ = self._speller_io(padded, lens)
        _, weights = self.speller(enc, enc_lens, inputs)
        return [weights[b, :n + 1, :enc_lens[b]].cpu() for b, n in enumerate(lens.tolist())]

    def sequence_log_probs(self, enc: torch.Tensor, enc_lens: torch.Tensor, tokens: list[list[int]]) -> torch.Tensor:
        """The speller's log-probability of each token sequence, eos included, in one teacher-forced pass:
        row b of enc (B, T', E), enc_lens (B,) is the utterance of tokens[b] (repeat an utterance's row for
        several hypotheses). Returns (B,)."""
        padded, lens = self._padded(tokens, enc.device)
        inputs, outputs = self._speller_io(padded, lens)
        logits, _ = self.speller(enc, enc_lens, inputs)
        picked = logits.log_softmax(dim=-1).gather(-1, outputs.clamp_min(0)[..., None])[..., 0]
        return picked.masked_fill(outputs < 0, 0.0).sum(dim=1)


def guided_attention_loss(weights: torch.Tensor, out_lens: torch.Tensor, enc_lens: torch.Tensor,
                          width: float = 0.2) -> torch.Tensor:
    """The attention weight that falls far from the diagonal (Tachibana et al. 2018), per output token.

    weights (B, S, T) with out_lens (B,) real rows and enc_lens (B,) real frames. Weight on frame t
    at output step s costs 1 - exp(-(s/S - t/T)^2 / (2 width^2)): nothing on the diagonal, almost 1
    half an utterance away. Speech runs at an uneven pace, so the band is wide; it only has to keep
    the speller off a frame it could use as a summary of the whole utterance.

    >>> w = torch.eye(4).unsqueeze(0)
    >>> float(guided_attention_loss(w, torch.tensor([4]), torch.tensor([4])))
    0.0
    """
    batch, steps, frames = weights.shape
    s = (torch.arange(steps, device=weights.device).unsqueeze(0) + 0.5) / out_lens.unsqueeze(1)  # (B, S)
    t = (torch.arange(frames, device=weights.device).unsqueeze(0) + 0.5) / enc_lens.unsqueeze(1)  # (B, T)
    penalty = 1 - torch.exp(-(s.unsqueeze(2) - t.unsqueeze(1)) ** 2 / (2 * width ** 2))  # (B, S, T)
    real = (torch.arange(steps, device=weights.device).unsqueeze(0) < out_lens.unsqueeze(1)).unsqueeze(2)
    return (weights * penalty * real).sum() / out_lens.sum()
