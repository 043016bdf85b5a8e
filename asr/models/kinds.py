"""The table of model kinds: the one route from a kind to its model class, its config and its purpose.

A model file stores its kind and config; `build_model` rebuilds the model from them. Training builds
a new model's config with `new_config`, from the settings a recipe chose. Nothing else decides by
the kind's name what a model is or can do: ask the model (`has_ctc`, `has_attention`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from asr.models.attention_model import AttentionModel, AttentionModelConfig
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.lstm_lm import LSTMLM, LSTMLMConfig
from asr.models.seq_autoencoder import SeqAutoencoder, SeqAutoencoderConfig

ACOUSTIC, EMBEDDING, LANGUAGE = "speech in, text out", "a speech segment in, a vector out", "text in, next token out"


@dataclass(frozen=True)
class Kind:
    model: type[nn.Module]
    config: type  # its frozen config dataclass, with to_dict / from_dict
    purpose: str  # ACOUSTIC, EMBEDDING or LANGUAGE
    fixed: dict[str, Any] = field(default_factory=dict)  # config values the kind implies
    defaults: dict[str, Any] = field(default_factory=dict)  # config values for settings left None


# "las" and "joint" are one class told apart by whether its search reads a CTC head; the Audio Word2Vec
# autoencoders "sa", "dsa" and "cae" one class told apart by how they were trained
KINDS = {
    "ctc": Kind(CTCModel, CTCModelConfig, ACOUSTIC),
    "las": Kind(AttentionModel, AttentionModelConfig, ACOUSTIC, {"ctc_in_search": False}, {"ctc_weight": 0.0}),
    # Kim et al. 2017 found λ of 0.2-0.5 best
    "joint": Kind(AttentionModel, AttentionModelConfig, ACOUSTIC, {"ctc_in_search": True}, {"ctc_weight": 0.3}),
    "sa": Kind(SeqAutoencoder, SeqAutoencoderConfig, EMBEDDING, {"variant": "sa"}),
    "dsa": Kind(SeqAutoencoder, SeqAutoencoderConfig, EMBEDDING, {"variant": "dsa"}),
    "cae": Kind(SeqAutoencoder, SeqAutoencoderConfig, EMBEDDING, {"variant": "cae"}),
    "lstm_lm": Kind(LSTMLM, LSTMLMConfig, LANGUAGE),
}
ACOUSTIC_KINDS = tuple(name for name, kind in KINDS.items() if kind.purpose == ACOUSTIC)
EMBEDDING_KINDS = tuple(name for name, kind in KINDS.items() if kind.purpose == EMBEDDING)


def kind_of(name: str) -> Kind:
    """The table's entry; ValueError naming the known kinds for any other name."""
    if name not in KINDS:
        raise ValueError(f"unknown model kind {name!r} (known: {', '.join(KINDS)})")
    return KINDS[name]


WEIGHTS = 4  # bytes a parameter takes to use a model (float32)
TRAINING = 16  # ... and to train one: its weight, its gradient and Adam's two moments


def build_model(kind: str, config: dict, bytes_per_parameter: int = WEIGHTS) -> nn.Module:
    """A new model of `kind` from its config's plain-dict form (what the model file stores).

    ValueError, before any memory is taken, for a model whose parameters at `bytes_per_parameter`
    each would not fit in this machine's memory (an allocator's traceback, or swapping, otherwise)."""
    entry = kind_of(kind)
    cfg = entry.config.from_dict(config)
    parameters = parameter_count(kind, cfg)
    needed, memory = parameters * bytes_per_parameter, physical_memory()
    if needed > memory:
        use = "to train" if bytes_per_parameter > WEIGHTS else "for its weights"
        raise ValueError(f"a {kind} model of these settings has {parameters / 1e6:,.0f} M parameters: "
                         f"{needed / 1e9:,.1f} GB {use}, more than this machine's {memory / 1e9:.1f} GB of memory")
    return entry.model(cfg)


def parameter_count(kind: str, cfg: Any) -> int:
    """How many parameters a model of `kind` and config `cfg` has, found without taking their memory."""
    with torch.device("meta"):  # shapes without storage: any size at once
        return sum(p.numel() for p in kind_of(kind).model(cfg).parameters())


def physical_memory() -> int:
    """This machine's memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def new_config(kind: str, settings: Any = None, **derived: Any) -> Any:
    """The frozen config of a new model of `kind`: the fields of `settings` (a dataclass the config
    class extends, or None), the values the data decide (`derived`: encoder, vocab_size, eos_id; those
    the config has no field for are ignored), the kind's defaults for settings left None, and the values
    the kind implies.

    >>> from asr.models.attention_model import AttentionSettings
    >>> [new_config(k, AttentionSettings(), vocab_size=5, eos_id=4).ctc_weight for k in ("las", "joint")]
    [0.0, 0.3]
    """
    entry = kind_of(kind)
    names = {f.name for f in dataclasses.fields(entry.config)}
    values = dataclasses.asdict(settings) if settings is not None else {}
    values |= {k: v for k, v in entry.defaults.items() if values.get(k) is None}
    values |= {k: v for k, v in derived.items() if k in names}
    return entry.config(**(values | entry.fixed))
