"""Tokenizers: text <-> integer ids.

Every kind names its special ids explicitly: ``blank_id`` (0, the CTC blank), ``eos_id`` (one
"<sos/eos>" symbol, the last id, that starts and ends a sentence for attention decoders and
language models) and ``PAD_ID`` (-1, the target padding every loss ignores). Tokenizers stored
by model files written before the sentence symbol existed load without it (``eos_id`` None):
they only serve CTC models, which never need it.

Characters (open vocabulary) and whole words (closed sets such as digits) live here;
SentencePiece subwords ("bpe", "unigram") in `sentencepiece_tokenizer`, with the same methods.
Every kind is rebuilt from the plain dict stored in the model file (`tokenizer_from_dict`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from asr.text.normalize import normalize_text
from asr.text.sentencepiece_tokenizer import KINDS as SENTENCEPIECE_KINDS
from asr.text.sentencepiece_tokenizer import SentencePieceTokenizer, train_sentencepiece

BLANK = "<blank>"
UNK = "<unk>"
EOS = "<sos/eos>"  # one symbol for both ends of a sentence, as ESPnet: an attention decoder starts from it and emits it to stop
SPACE = "|"  # word separator token of the character vocabulary, as in wav2letter
PAD_ID = -1  # target padding: never a token id, ignored by the CTC and cross-entropy losses


@dataclass(frozen=True)
class Tokenizer:
    """A symbol table. ``kind`` is "char" (one token per character, SPACE between words) or "word".

    >>> chars = Tokenizer("char", ("<blank>", "|", "a", "c", "t", "<unk>", "<sos/eos>"))
    >>> chars.encode("A cat!"), chars.encode("tax")  # normalised first; x is not in the table
    ([2, 1, 3, 2, 4], [4, 2, 5])
    >>> chars.decode([3, 2, 4, 1, 1, 2, 6])  # separators in a row make one space; the sentence symbol goes
    'cat a'
    >>> words = Tokenizer("word", ("<blank>", "one", "two", "<sos/eos>"))
    >>> words.encode("One, two... three")  # without <unk> in the table, unknown words are dropped
    [1, 2]
    """

    kind: str
    symbols: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in ("char", "word"):
            raise ValueError(f"unknown tokenizer kind {self.kind!r}")
        if self.symbols[0] != BLANK:
            raise ValueError("symbol 0 must be the CTC blank")
        object.__setattr__(self, "_index", {s: i for i, s in enumerate(self.symbols)})

    @property
    def blank_id(self) -> int:
        return 0

    @property
    def eos_id(self) -> int | None:
        """The sentence start/end id (the last one), or None for a tokenizer made before it existed."""
        return len(self.symbols) - 1 if self.symbols[-1] == EOS else None

    sos_id = eos_id
    pad_id = PAD_ID

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, text: str) -> list[int]:
        """Normalised text -> ids; characters or words outside the table map to <unk> when it exists, else are dropped."""
        pieces = self._split(normalize_text(text))
        unk = self._index.get(UNK)
        ids = [self._index.get(p, unk) for p in pieces]
        return [i for i in ids if i is not None]

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> text; blanks and sentence symbols are dropped."""
        symbols = [self.symbols[i] for i in ids if i != 0 and i != self.eos_id]
        if self.kind == "char":
            return " ".join("".join(symbols).replace(SPACE, " ").split())
        return " ".join(symbols)

    def _split(self, text: str) -> list[str]:
        if self.kind == "word":
            return text.split()
        return [SPACE if c == " " else c for c in text]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "symbols": list(self.symbols)}

    @classmethod
    def from_dict(cls, d: dict) -> Tokenizer:
        return cls(kind=d["kind"], symbols=tuple(d["symbols"]))


AnyTokenizer = Tokenizer | SentencePieceTokenizer  # what a model file holds


def tokenizer_from_dict(d: dict) -> AnyTokenizer:
    """Rebuild any kind of tokenizer from its `to_dict()` form."""
    if d["kind"] in SENTENCEPIECE_KINDS:
        return SentencePieceTokenizer.from_dict(d)
    return Tokenizer.from_dict(d)


def build_tokenizer(kind: str, texts: Iterable[str], min_count: int = 1,
                    vocab_size: int = 256) -> AnyTokenizer:
    """Build a tokenizer of `kind` from training transcripts.

    Characters: the letters seen in training (always a-z and the apostrophe, so a model can
    spell any English word even if training text lacked a letter). Words: every word seen at
    least ``min_count`` times, plus <unk>. "bpe" / "unigram": `vocab_size` SentencePiece pieces.
    """
    if kind in SENTENCEPIECE_KINDS:
        return train_sentencepiece(kind, texts, vocab_size)
    counts: Counter[str] = Counter()
    probe = Tokenizer(kind, (BLANK,)) if kind in ("char", "word") else None
    if probe is None:
        raise ValueError(f"tokenizer kind must be one of char, word, {', '.join(SENTENCEPIECE_KINDS)}, not {kind!r}")
    for text in texts:
        counts.update(probe._split(normalize_text(text)))
    if kind == "char":
        letters = set("abcdefghijklmnopqrstuvwxyz'") | set(counts)
        letters.discard(SPACE)
        return Tokenizer("char", (BLANK, SPACE, *sorted(letters), EOS))
    words = sorted(w for w, n in counts.items() if n >= min_count)
    return Tokenizer("word", (BLANK, UNK, *words, EOS))
