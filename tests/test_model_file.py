"""The model file: every model kind and tokenizer kind survives the weights-only round trip, and a
file written before model kinds existed still loads and transcribes as it did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from asr.cli.main import main
from asr.data.audio import load_audio
from asr.data.synth.sentences import generate_sentences
from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.model_file import load_model_file, save_model_file
from asr.models.attention_model import AttentionModel, AttentionModelConfig
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.lstm_lm import LSTMLM, LSTMLMConfig
from asr.models.rnn_encoder import EncoderConfig
from asr.text.tokenizer import build_tokenizer
from asr.transcription.decoder import transcribe_waves

V1_ASSETS = Path(__file__).parent / "assets" / "v1_model"


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


@pytest.mark.parametrize("ctc_weight, ctc_in_search, kind", [(0.0, True, "las"), (0.4, True, "joint"),
                                                              (0.4, False, "las")])
def test_attention_and_language_model_files_round_trip(ctc_weight: float, ctc_in_search: bool, kind: str,
                                                       tmp_path) -> None:
    tokenizer = build_tokenizer("char", generate_sentences(100, seed="model-file"))
    features = FeaturePipeline(FeatureConfig(n_mels=40), torch.randn(40), torch.rand(40) + 0.5)
    model = AttentionModel(AttentionModelConfig(
        encoder=EncoderConfig(input_dim=40, hidden=16, layers=1, stack=4, cell="jordan"), vocab_size=len(tokenizer),
        eos_id=tokenizer.eos_id, ctc_weight=ctc_weight, ctc_in_search=ctc_in_search, attention="additive",
        decoder_hidden=12, attention_dim=8, embed_dim=6)).eval()
    save_model_file(tmp_path / "model.pt", model, features, tokenizer)
    loaded = load_model_file(tmp_path / "model.pt")
    assert loaded.kind == kind and loaded.model.cfg == model.cfg
    feats, lens = torch.randn(2, 50, 40), torch.tensor([50, 31])
    with torch.no_grad():
        targets, target_lens = torch.tensor([[3, 4, 5], [6, -1, -1]]), torch.tensor([3, 1])
        torch.testing.assert_close(loaded.model.loss(feats, lens, targets, target_lens)[0],
                                   model.loss(feats, lens, targets, target_lens)[0])

    lm = LSTMLM(LSTMLMConfig(vocab_size=len(tokenizer), eos_id=tokenizer.eos_id, hidden=8, embed_dim=4)).eval()
    save_model_file(tmp_path / "lm.pt", lm, None, tokenizer, {"note": "lm"})
    loaded_lm = load_model_file(tmp_path / "lm.pt")
    assert loaded_lm.kind == "lstm_lm" and loaded_lm.features is None and loaded_lm.info == {"note": "lm"}
    tokens = torch.tensor([[tokenizer.eos_id, 5, 6]])
    with torch.no_grad():
        torch.testing.assert_close(loaded_lm.model(tokens)[0], lm(tokens)[0])


def test_a_model_file_written_before_model_kinds_loads_and_transcribes_as_before(capsys) -> None:
    """tests/assets/v1_model: a small digit CTC model saved by the code before this format (asr-ctc-model/1,
    no kind, no sentence symbol), eight FSDD recordings (CC BY-SA 4.0) and what that code transcribed."""
    path = V1_ASSETS / "digits_v1.pt"
    assert torch.load(path, weights_only=True)["format"] == "asr-ctc-model/1"
    expected = json.loads((V1_ASSETS / "transcripts_v1.json").read_text())
    loaded = load_model_file(path)
    assert loaded.kind == "ctc" and loaded.tokenizer.eos_id is None
    waves = [load_audio(V1_ASSETS / name, loaded.features.cfg.sample_rate) for name in expected]
    assert transcribe_waves(loaded, waves) == list(expected.values())
    # and through the command line, with beam search as well
    files = [str(V1_ASSETS / name) for name in expected]
    for extra in ([], ["--decode", "beam", "--beam", "4"]):
        assert main(["transcribe", "--model", str(path), *extra, *files]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line.split("\t")[1] if "\t" in line else "" for line in lines] == list(expected.values())


BEFORE_LAYOUT = Path(__file__).parent / "assets" / "before_layout"
ACOUSTIC_FILES = ["ctc_char", "ctc_word_gru", "las_char", "joint_unigram"]


@pytest.mark.parametrize("name", ACOUSTIC_FILES)
def test_acoustic_model_files_written_before_the_layout_give_the_same_outputs(name: str) -> None:
    """tests/assets/before_layout: model files of every acoustic kind (and cell, tokenizer, attention) written
    by the code before the package was laid out anew, and what that code made of eight recordings: the same
    encoder output, CTC log-probs, transcripts and word times, by default decoding and by a beam of 3."""
    import asr

    expected = json.loads((BEFORE_LAYOUT / "transcripts.json").read_text())[name]
    outputs = torch.load(BEFORE_LAYOUT / "outputs.pt", weights_only=True)
    wavs = sorted(str(p) for p in V1_ASSETS.glob("*.wav"))
    recognizer = asr.load_model(BEFORE_LAYOUT / f"{name}.pt")
    assert recognizer.loaded.kind == name.split("_")[0]
    for label, options in {"default": {}, "beam3": {"decode": "beam", "beam": 3}}.items():
        results = recognizer.transcribe(wavs, **options)
        got = [{"text": r.text, "words": [[w.word, w.start, w.end] for w in r.words]} for r in results]
        assert got == expected[label], label
    loaded = recognizer.loaded
    wave = load_audio(wavs[0], loaded.features.cfg.sample_rate)
    with torch.no_grad():
        feats, lens = loaded.features(wave[None], torch.tensor([len(wave)]))
        enc, _ = loaded.model.encode(feats, lens)
        torch.testing.assert_close(enc[0], outputs[f"{name}.encoder"])
        assert loaded.model.has_ctc == (f"{name}.ctc" in outputs)
        if loaded.model.has_ctc:
            torch.testing.assert_close(loaded.model.ctc_log_probs(enc)[0], outputs[f"{name}.ctc"])


def test_embedding_and_language_model_files_written_before_the_layout_give_the_same_outputs() -> None:
    from asr.embedding.embed import embed_waves

    outputs = torch.load(BEFORE_LAYOUT / "outputs.pt", weights_only=True)
    wavs = sorted(V1_ASSETS.glob("*.wav"))
    for kind in ("sa", "dsa", "cae"):
        loaded = load_model_file(BEFORE_LAYOUT / f"{kind}.pt")
        assert loaded.kind == kind and not loaded.model.has_ctc
        waves = [load_audio(w, loaded.features.cfg.sample_rate) for w in wavs]
        torch.testing.assert_close(embed_waves(loaded, waves), outputs[f"{kind}.vectors"])
    lm = load_model_file(BEFORE_LAYOUT / "lm.pt")
    tokens = torch.tensor([lm.tokenizer.encode("one two three four")])
    with torch.no_grad():
        torch.testing.assert_close(lm.model(tokens)[0][0], outputs["lm.log_probs"])


def _tampered(path: Path, out: Path, change) -> Path:
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, out)
    return out


@pytest.mark.parametrize("change, message", [
    (lambda p: p["tokenizer"]["symbols"].append("x"), "its tokenizer has 31 symbols but its output layer 30"),
    (lambda p: p["model_config"].update(vocab_size=10**9), "its output layer would have 1000000000 units"),
    (lambda p: p["model_config"]["encoder"].update(input_dim=13),
     "its encoder reads 13 features, its frontend makes 20"),
    (lambda p: p["cmvn"].update(mean=torch.zeros(7)), "its normalisation statistics are for 7 features"),
    (lambda p: p.update(kind="transformer"), "unknown model kind 'transformer'"),
    (lambda p: p["state_dict"].pop("head.weight"), "a damaged or inconsistent model file"),
    (lambda p: p.pop("model_config"), "a damaged or inconsistent model file (missing 'model_config')"),
])
def test_a_model_file_whose_parts_disagree_is_refused_in_one_line(change, message, tmp_path) -> None:
    """Loading checks the parts against each other, cheaply and before building the weights, and names the file
    and what disagrees; before, these ended in a traceback (or an allocation) after seconds of work."""
    bad = _tampered(BEFORE_LAYOUT / "ctc_char.pt", tmp_path / "bad.pt", change)
    with pytest.raises(UserError, match=f"^{tmp_path / 'bad.pt'}: .*{message.replace('(', '.').replace(')', '.')}"):
        load_model_file(bad)


def test_a_ctc_head_whose_blank_is_not_the_tokenizers_is_refused(tmp_path) -> None:
    bad = _tampered(BEFORE_LAYOUT / "joint_unigram.pt", tmp_path / "bad.pt",
                    lambda p: p["model_config"].update(blank_id=3))
    with pytest.raises(UserError, match="its CTC blank is symbol 3, its tokenizer's 0"):
        load_model_file(bad)
