import pytest
import torch

from asr.text.normalize import normalize_text
from asr.text.tokenizer import BLANK, EOS, PAD_ID, UNK, Tokenizer, build_tokenizer, tokenizer_from_dict


def test_normalize_text_rules():
    assert normalize_text("HELLO, World!") == "hello world"
    assert normalize_text("DON'T 'quote' me") == "don't quote me"
    assert normalize_text("Café  naïve\tdéjà-vu") == "cafe naive deja vu"
    assert normalize_text("  ") == ""


def test_char_tokenizer_round_trip_and_blank():
    tok = build_tokenizer("char", ["HELLO WORLD", "IT'S"])
    assert tok.symbols[0] == BLANK and tok.blank_id == 0
    assert tok.symbols[-1] == EOS and tok.eos_id == tok.sos_id == len(tok) - 1 and tok.pad_id == PAD_ID < 0
    ids = tok.encode("It's a New World")
    assert 0 not in ids and tok.eos_id not in ids
    assert tok.decode(ids) == "it's a new world"
    assert tok.decode([tok.eos_id, *ids, tok.eos_id]) == "it's a new world"  # sentence symbols are not text
    # every letter is in the table even if training text lacked it: open vocabulary
    assert tok.decode(tok.encode("zebra quiz")) == "zebra quiz"


def test_word_tokenizer_maps_unknown_words():
    tok = build_tokenizer("word", ["one two", "two three"])
    assert tok.symbols[:2] == (BLANK, UNK) and tok.symbols[-1] == EOS
    assert tok.decode(tok.encode("two one")) == "two one"
    assert tok.decode(tok.encode("two seven")) == f"two {UNK}"


def test_tokenizer_survives_weights_only_round_trip(tmp_path):
    tok = build_tokenizer("char", ["abc"])
    torch.save({"tok": tok.to_dict()}, tmp_path / "t.pt")
    again = Tokenizer.from_dict(torch.load(tmp_path / "t.pt", weights_only=True)["tok"])
    assert again == tok


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        build_tokenizer("morse", ["x"])


def test_a_tokenizer_stored_before_the_sentence_symbol_loads_without_it():
    """Model files written before <sos/eos> existed: the same ids, and eos_id None."""
    old = tokenizer_from_dict({"kind": "char", "symbols": [BLANK, "|", "a", "b"]})
    assert old.eos_id is None and old.decode(old.encode("ab ba")) == "ab ba"
