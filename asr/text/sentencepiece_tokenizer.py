"""Subword tokens learnt by SentencePiece (BPE or unigram), with id 0 kept for the CTC blank
and the last id for the sentence start/end symbol.

Subwords let a CTC model emit whole pieces of known words ('▁saturday') and still spell any
word from smaller pieces, down to single letters. Fewer tokens per second than characters also
allow a coarser output frame rate (more frame stacking), which is most of an RNN's cost.
The trained SentencePiece model travels inside the model file as bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import sentencepiece as spm

from asr.text.normalize import normalize_text

KINDS = ("bpe", "unigram")  # SentencePiece model types


class SentencePieceTokenizer:
    """SentencePiece piece p has id p + 1; id 0 is the blank. SentencePiece's <unk> is id 1.

    With `eos` (every tokenizer trained now; not those in model files from before it existed) the
    id after the last piece is "<sos/eos>".
    """

    pad_id = -1  # target padding, ignored by the losses (the same value as tokenizer.PAD_ID)

    def __init__(self, kind: str, model_proto: bytes, eos: bool = True):
        if kind not in KINDS:
            raise ValueError(f"SentencePiece kind must be one of {KINDS}, not {kind!r}")
        self.kind = kind
        self.model_proto = bytes(model_proto)
        self.eos = eos
        self._sp = spm.SentencePieceProcessor(model_proto=self.model_proto)

    @property
    def blank_id(self) -> int:
        return 0

    @property
    def eos_id(self) -> int | None:
        return self._sp.get_piece_size() + 1 if self.eos else None

    sos_id = eos_id

    @property
    def symbols(self) -> tuple[str, ...]:
        pieces = (self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size()))
        return ("<blank>", *pieces, *(("<sos/eos>",) if self.eos else ()))

    def __len__(self) -> int:
        return self._sp.get_piece_size() + 1 + int(self.eos)

    def encode(self, text: str) -> list[int]:
        """Normalised text -> piece ids (shifted past the blank)."""
        return [i + 1 for i in self._sp.encode(normalize_text(text))]

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> text; blanks and sentence symbols are dropped."""
        pieces = [i - 1 for i in ids if i != 0 and i != self.eos_id]
        return " ".join(self._sp.decode(pieces).split())

    def to_dict(self) -> dict:
        return {"kind": self.kind, "model_proto": self.model_proto, "eos": self.eos}

    @classmethod
    def from_dict(cls, d: dict) -> SentencePieceTokenizer:
        return cls(d["kind"], d["model_proto"], d.get("eos", False))


def train_sentencepiece(kind: str, texts: Iterable[str], vocab_size: int) -> SentencePieceTokenizer:
    """Learn `vocab_size` pieces (SentencePiece's <unk> included) from training transcripts.

    Every character seen is kept (character_coverage 1.0) and SentencePiece's own text
    normalisation is off: the text is already normalised by `normalize_text`, and the same
    function runs at encode time.
    """
    if kind not in KINDS:
        raise ValueError(f"SentencePiece kind must be one of {KINDS}, not {kind!r}")
    sentences = [t for t in (normalize_text(x) for x in texts) if t]
    if not sentences:
        raise ValueError("no training text to learn subword pieces from")
    proto = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences), model_writer=proto, vocab_size=vocab_size, model_type=kind,
            character_coverage=1.0, normalization_rule_name="identity", unk_id=0, bos_id=-1, eos_id=-1,
            pad_id=-1, hard_vocab_limit=False, minloglevel=2)
    except RuntimeError as err:
        raise ValueError(f"SentencePiece could not learn {vocab_size} pieces: {err}") from None
    return SentencePieceTokenizer(kind, proto.getvalue())
