"""The model file: every tokenizer kind survives the weights-only round trip with the weights."""

from __future__ import annotations

import pytest
import torch

from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.model_file import load_model_file, save_model_file
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.rnn_encoder import EncoderConfig
from asr.synth.sentences import generate_sentences
from asr.text.tokenizer import build_tokenizer


@pytest.mark.parametrize("kind", ["char", "word", "unigram"])
def test_model_file_round_trip(kind: str, tmp_path) -> None:
    texts = generate_sentences(300, seed="model-file")
    tokenizer = build_tokenizer(kind, texts, vocab_size=100)
    features = FeaturePipeline(FeatureConfig(n_mels=40), torch.randn(40), torch.rand(40) + 0.5)
    model = CTCModel(CTCModelConfig(EncoderConfig(input_dim=40, hidden=16, layers=1, stack=4),
                                    vocab_size=len(tokenizer))).eval()
    save_model_file(tmp_path / "model.pt", model, features, tokenizer, {"note": "test"})
    loaded = load_model_file(tmp_path / "model.pt")
    assert loaded.tokenizer.kind == kind and len(loaded.tokenizer) == len(tokenizer)
    assert loaded.tokenizer.encode(texts[0]) == tokenizer.encode(texts[0])
    assert loaded.tokenizer.decode(tokenizer.encode(texts[0])) == texts[0]
    assert loaded.info == {"note": "test"}
    feats, lens = torch.randn(2, 50, 40), torch.tensor([50, 31])
    with torch.no_grad():
        expected, expected_lens = model(feats, lens)
        got, got_lens = loaded.model(feats, lens)
    torch.testing.assert_close(got, expected)
    assert torch.equal(got_lens, expected_lens)
    torch.testing.assert_close(loaded.features.mean, features.mean)
