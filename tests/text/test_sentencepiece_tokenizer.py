"""SentencePiece subword tokens: learnt from generated sentences, round trips, blank kept free."""

from __future__ import annotations

import pytest
import torch

from asr.data.synth.sentences import generate_sentences, open_vocabulary_sentences
from asr.text.normalize import normalize_text
from asr.text.tokenizer import build_tokenizer, tokenizer_from_dict


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return generate_sentences(2000, seed="sp-train")


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_round_trip_and_blank_is_never_a_piece(sentences: list[str], kind: str) -> None:
    tok = build_tokenizer(kind, [s.upper() for s in sentences], vocab_size=200)
    assert tok.blank_id == 0 and len(tok) == 202 and tok.symbols[0] == "<blank>"
    assert tok.eos_id == tok.sos_id == 201 and tok.symbols[201] == "<sos/eos>" and tok.pad_id == -1
    # held-out sentences, and words the generator never says: spelt from smaller pieces
    for text in generate_sentences(50, seed="sp-test") + open_vocabulary_sentences(20, seed="sp-open"):
        ids = tok.encode(text.upper() + "!")
        assert ids and 0 not in ids and max(ids) < tok.eos_id
        assert tok.decode(ids) == normalize_text(text)
        assert tok.decode([tok.eos_id, *ids, tok.eos_id]) == normalize_text(text)


def test_pieces_are_shorter_than_characters(sentences: list[str]) -> None:
    """The point of subwords: fewer CTC labels per second than characters."""
    tok = build_tokenizer("unigram", sentences, vocab_size=256)
    chars = sum(len(s) for s in sentences[:200])
    pieces = sum(len(tok.encode(s)) for s in sentences[:200])
    assert pieces < 0.7 * chars
    assert any(len(p) >= 5 for p in tok.symbols[1:])  # whole common words became pieces


def test_survives_a_weights_only_round_trip(sentences: list[str], tmp_path) -> None:
    tok = build_tokenizer("bpe", sentences, vocab_size=120)
    torch.save({"tok": tok.to_dict()}, tmp_path / "t.pt")
    again = tokenizer_from_dict(torch.load(tmp_path / "t.pt", weights_only=True)["tok"])
    assert again.kind == "bpe" and again.symbols == tok.symbols and again.eos_id == tok.eos_id
    assert again.encode(sentences[0]) == tok.encode(sentences[0])


def test_no_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="no training text"):
        build_tokenizer("unigram", ["", "!!"], vocab_size=50)


def test_a_tokenizer_stored_before_the_sentence_symbol_loads_without_it(sentences: list[str]) -> None:
    """Model files written before <sos/eos> existed hold {"kind", "model_proto"} only: same ids, no eos."""
    tok = build_tokenizer("unigram", sentences, vocab_size=100)
    old = tokenizer_from_dict({"kind": "unigram", "model_proto": tok.model_proto})
    assert old.eos_id is None and len(old) == len(tok) - 1 and old.symbols == tok.symbols[:-1]
    assert old.encode(sentences[0]) == tok.encode(sentences[0])
