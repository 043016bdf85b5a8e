"""The table of model kinds: how a model file's kind and config rebuild the model."""

from __future__ import annotations

from torch import nn

from asr.models.attention_model import AttentionModel, AttentionModelConfig
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.lstm_lm import LSTMLM, LSTMLMConfig
from asr.models.seq_autoencoder import SeqAutoencoder, SeqAutoencoderConfig

# kind -> (model class, its config class); "las" and "joint" are one class told apart by its CTC weight,
# the Audio Word2Vec autoencoders "sa", "dsa" and "cae" one class told apart by how they were trained
MODEL_KINDS = {
    "ctc": (CTCModel, CTCModelConfig),
    "las": (AttentionModel, AttentionModelConfig),
    "joint": (AttentionModel, AttentionModelConfig),
    "lstm_lm": (LSTMLM, LSTMLMConfig),
    "sa": (SeqAutoencoder, SeqAutoencoderConfig),
    "dsa": (SeqAutoencoder, SeqAutoencoderConfig),
    "cae": (SeqAutoencoder, SeqAutoencoderConfig),
}
ACOUSTIC_KINDS = ("ctc", "las", "joint")  # speech in, text out
EMBEDDING_KINDS = ("sa", "dsa", "cae")  # a speech segment in, a vector out


def build_model(kind: str, config: dict) -> nn.Module:
    """A new model of `kind` from its config's plain-dict form (what the model file stores)."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r} (known: {', '.join(MODEL_KINDS)})")
    model_class, config_class = MODEL_KINDS[kind]
    return model_class(config_class.from_dict(config))
