"""Transcript normalisation shared by training, scoring and every tokenizer.

The stated rule: typographic apostrophes and quotes become plain ones, Unicode is folded to ASCII
(accents dropped), text is lower-cased, digits are kept as written by the corpus (LibriSpeech and
our generator spell numbers out), an apostrophe is kept only between letters ("don't", "o'clock";
quotes around words go), hyphens and every other character become a space, and runs of spaces
collapse to one.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic apostrophes and quotes -> their plain forms, before anything else: "it’s" keeps its
# apostrophe as "it's" does (ASCII folding would drop ’ and leave "it s").
_PLAIN_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\u00b4": "'",
                               "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_NOT_KEPT = re.compile(r"[^a-z0-9' ]+")
_LONE_APOSTROPHE = re.compile(r"(?<![a-z])'|'(?![a-z])")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Normalise a transcript to lower-case letters, digits, inner apostrophes and single spaces.

    >>> normalize_text("  \\"Don't\\" STOP -- Café's 'quoted' words!")
    "don't stop cafe's quoted words"
    >>> normalize_text("“It’s ‘quoted’,” she said")
    "it's quoted she said"
    """
    ascii_text = unicodedata.normalize("NFKD", text.translate(_PLAIN_QUOTES)).encode("ascii", "ignore").decode("ascii")
    text = _NOT_KEPT.sub(" ", ascii_text.lower())
    text = _LONE_APOSTROPHE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
