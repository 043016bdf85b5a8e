"""A tokenizer file written by `asr tokenizer train` gives back the same ids, for every kind, and is data
only: JSON, with a SentencePiece model as base64. A file that is not one is refused with its name."""

import json
from pathlib import Path

import pytest

from asr.cli.main import main
from asr.errors import UserError
from asr.text.tokenizer import build_tokenizer
from asr.text.tokenizer_file import load_tokenizer, save_tokenizer

TEXTS = ["the quick brown fox jumps over the lazy dog", "she sells sea shells by the sea shore",
         "peter piper picked a peck of pickled peppers", "how much wood would a woodchuck chuck"] * 5


@pytest.mark.parametrize("kind", ["char", "word", "bpe", "unigram"])
def test_a_saved_tokenizer_encodes_and_decodes_as_the_original(kind: str, tmp_path: Path) -> None:
    original = build_tokenizer(kind, TEXTS, vocab_size=40)
    save_tokenizer(original, tmp_path / "tokens.json")
    loaded = load_tokenizer(tmp_path / "tokens.json")
    assert loaded.symbols == original.symbols and loaded.eos_id == original.eos_id
    for text in TEXTS[:4] + ["a fox we never saw"]:
        assert loaded.encode(text) == original.encode(text)
        assert loaded.decode(loaded.encode(text)) == original.decode(original.encode(text))
    json.loads((tmp_path / "tokens.json").read_text())  # plain JSON: nothing in it can run


@pytest.mark.parametrize("content", ["", "not json", '{"format": "other"}', '{"format": "asr-tokenizer-1"}',
                                     '{"format": "asr-tokenizer-1", "tokenizer": {"kind": "char", "symbols": ["a"]}}'])
def test_a_file_that_is_not_a_tokenizer_is_refused_with_its_name(content: str, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(content)
    with pytest.raises(UserError, match="tokens.json: not a tokenizer file"):
        load_tokenizer(path)


def test_tokenizer_train_command_writes_what_train_and_lm_then_read(tmp_path: Path, capsys) -> None:
    text = tmp_path / "text.txt"
    text.write_text("\n".join(TEXTS))
    out = tmp_path / "tokens.json"
    assert main(["tokenizer", "train", str(text), "--tokenizer.kind", "bpe", "--tokenizer.vocab_size", "30",
                 "--out", str(out)]) == 0
    tokenizer = load_tokenizer(out)
    assert tokenizer.kind == "bpe" and len(tokenizer) >= 30
    assert "tokens written to" in capsys.readouterr().out
    assert main(["tokenizer", "train", str(tmp_path / "absent.txt"), "--out", str(out)]) == 2
    assert "absent.txt" in capsys.readouterr().err
    text.write_bytes(text.read_bytes() + b"\ncaf\xe9 au lait\n")  # a Latin-1 line: left out, named, exit 1
    assert main(["tokenizer", "train", str(text), "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == f"asr: error: {text}:{len(TEXTS) + 1}: not UTF-8 text; left out"
