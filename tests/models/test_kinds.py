"""The table of model kinds: a model too large for this machine's memory is refused before any of it is
allocated, with its size, for every kind; what is counted is what would be built."""

import pytest

from asr.models import kinds
from asr.models.kinds import KINDS, TRAINING, build_model, parameter_count

GB = 10**9


def _config(kind: str, hidden: int) -> dict:
    """A config of `kind` with LSTMs of `hidden` units."""
    if kind == "lstm_lm":
        return {"vocab_size": 30, "eos_id": 29, "hidden": hidden, "embed_dim": 16, "layers": 1}
    from asr.models.rnn_encoder import EncoderConfig

    encoder = EncoderConfig(input_dim=40, hidden=hidden, layers=2)
    settings = {"decoder_hidden": hidden} if KINDS[kind].config.__name__ == "AttentionModelConfig" else {}
    return kinds.new_config(kind, None, encoder=encoder, vocab_size=30, eos_id=29).to_dict() | settings


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_count_without_memory_is_the_built_models(kind: str) -> None:
    model = build_model(kind, _config(kind, 24))
    assert parameter_count(kind, model.cfg) == sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_model_too_large_for_memory_is_refused_with_its_size(kind: str, monkeypatch) -> None:
    monkeypatch.setattr(kinds, "physical_memory", lambda: 8 * GB)
    config = _config(kind, 100_000)  # LSTMs of 100 000 units: hundreds of GB of weights
    count = parameter_count(kind, KINDS[kind].config.from_dict(config))
    with pytest.raises(ValueError) as refused:
        build_model(kind, config)
    assert str(refused.value) == (f"a {kind} model of these settings has {count / 1e6:,.0f} M parameters: "
                                  f"{4 * count / GB:,.1f} GB for its weights, more than this machine's 8.0 GB of memory")


def test_training_counts_the_gradient_and_adams_moments_too(monkeypatch) -> None:
    config = _config("ctc", 1000)
    count = parameter_count("ctc", KINDS["ctc"].config.from_dict(config))
    monkeypatch.setattr(kinds, "physical_memory", lambda: 8 * count)  # room for the weights, not for training
    assert sum(p.numel() for p in build_model("ctc", config).parameters()) == count
    with pytest.raises(ValueError, match=f"{16 * count / GB:,.1f} GB to train, more than this machine's"):
        build_model("ctc", config, TRAINING)
