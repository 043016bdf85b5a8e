"""The one frozen options object every decoder reads: method, beam, score weights and LM."""

from __future__ import annotations

import math
from dataclasses import dataclass

# rescore: joint models' attention rescoring (asr.decoding.rescoring): CTC beam proposals, the speller's scores
METHODS = ("greedy", "beam", "rescore")
# Upper bounds past which a value only costs: a beam of 100000 took 11 GB and over 100 s on a 10 s file
# (1000: 4 s); an attention model that never ends a hypothesis decodes up to max_len_ratio tokens a frame.
MAX_BEAM = 1000
MAX_LEN_RATIO = 10.0


@dataclass(frozen=True)
class DecodeOptions:
    """How to turn a model's scores into token ids.

    method       : "greedy" (best token per step), "beam", or "rescore" (the CTC beam's `beam` hypotheses
                   rescored by the speller, weighed by ctc_weight)
    beam         : hypotheses kept per utterance
    ctc_weight   : joint CTC/attention search: weight of CTC prefix scores (1 - it for attention).
                   None means the model kind's default (1 for CTC models and for a joint model's
                   greedy decoding, which reads its CTC head; 0 for LAS; a joint model's beam search
                   weighs CTC as the model was trained)
    lm           : language model file: our LSTM LM (`asr lm train`), or a KenLM .arpa / .bin
                   (CTC beam search only)
    lm_weight    : shallow-fusion weight of the language model's log-probability (None: 0.3 with an LM)
    length_bonus : added to a hypothesis' score per output token (offsets the LM's and attention's
                   preference for short outputs)
    length_norm  : attention / joint search: rank finished hypotheses by score per token
    max_len_ratio: attention / joint search: at most this many output tokens per encoder frame
    coverage     : attention / joint search: score per encoder frame the speller's attention has covered
                   (Chorowski and Jaitly 2017; see `beam_search`), against loops over words already read
    lexicon      : CTC beam search: a lexicon file (word, then its tokens) restricting the words
    nbest        : beam search: hypotheses returned per utterance, best first (at most `beam`)
    """

    method: str = "greedy"
    beam: int = 10
    ctc_weight: float | None = None
    lm: str | None = None
    lm_weight: float | None = None
    length_bonus: float = 0.0
    length_norm: bool = True
    max_len_ratio: float = 1.0
    coverage: float = 0.0
    lexicon: str | None = None
    nbest: int = 1

    def __post_init__(self) -> None:
        for name in ("ctc_weight", "lm_weight", "length_bonus", "max_len_ratio", "coverage"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):  # NaN passes every comparison below
                raise ValueError(f"{name.replace('_', ' ')} must be a finite number, not {value}")
        if self.lm_weight is not None and self.lm_weight < 0:
            raise ValueError(f"lm weight must be at least 0, not {self.lm_weight}")
        if self.coverage < 0:
            raise ValueError(f"coverage must be at least 0, not {self.coverage}")
        if self.method not in METHODS:
            raise ValueError(f"decoding method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if not 1 <= self.beam <= MAX_BEAM:
            raise ValueError(f"beam must be between 1 and {MAX_BEAM}, not {self.beam}")
        if self.ctc_weight is not None and not 0.0 <= self.ctc_weight <= 1.0:
            raise ValueError(f"ctc weight must be between 0 and 1, not {self.ctc_weight}")
        if self.nbest != 1 and self.method == "greedy":
            raise ValueError(f"N-best lists come from beam search: --nbest {self.nbest} needs --decode beam")
        if not 1 <= self.nbest <= self.beam:
            raise ValueError(f"nbest must be between 1 and the beam ({self.beam}), not {self.nbest}")
        if not 0 < self.max_len_ratio <= MAX_LEN_RATIO:
            raise ValueError(f"max_len_ratio must be above 0 and at most {MAX_LEN_RATIO}, not {self.max_len_ratio}")
