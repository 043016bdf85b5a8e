"""Transcript normalisation shared by training, scoring and every tokenizer.

The stated rule: typographic apostrophes and quotes become plain ones, Unicode is folded to ASCII
(accents dropped), text is lower-cased, digits are kept as written by the corpus (LibriSpeech and
our generator spell numbers out), an apostrophe is kept only between letters ("don't", "o'clock";
quotes around words go), hyphens and every other character become a space, and runs of spaces
collapse to one.

A transcript in another script (Chinese, Hebrew, Cyrillic, ...) therefore normalises to nothing:
`lost_in_normalisation` is the one test that `asr prepare` (reports it), `asr train` (leaves it out) and
`asr evaluate` (does not score it) share.
"""

from __future__ import annotations

import functools
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


# What every report of lost transcripts tells the user, so that one in another script learns why.
NORMALISER_KEEPS = "the normaliser keeps only Latin letters (accents dropped), digits and apostrophes"


def dropped_letters(text: str) -> tuple[int, int]:
    """(letters and digits that normalisation drops, letters and digits in all) of a transcript.

    >>> dropped_letters("Café 中文 2"), dropped_letters("Привет"), dropped_letters("")
    ((2, 7), (6, 6), (0, 0))
    """
    letters = [c for c in text if c.isalnum()]
    return sum(map(_is_dropped, letters)), len(letters)


def lost_in_normalisation(text: str) -> bool:
    """Whether a transcript is lost in normalisation: nothing is left of it, or more than half of its letters and
    digits are dropped (a model can neither learn it nor be scored against it; "the 中文中文" is not "the").

    >>> [lost_in_normalisation(t) for t in ("你好世界", "שלום עולם", "Привет, мир", "?!", "the 中文中文")]
    [True, True, True, True, True]
    >>> [lost_in_normalisation(t) for t in ("Ça va", "the cat 中文", "I’m 42", "Straße")]
    [False, False, False, False]
    """
    dropped, letters = dropped_letters(text)
    return 2 * dropped > letters or not normalize_text(text)


@functools.cache  # a corpus has a few thousand distinct characters and millions of them in all
def _is_dropped(char: str) -> bool:
    return not normalize_text(char)
