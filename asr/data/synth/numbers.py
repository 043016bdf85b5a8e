"""Spell integers as English words, the way a reader would say them aloud.

Transcripts hold words only, so every number a sentence template uses is spelled
here rather than left to espeak-ng (whose reading of digits we could not transcribe).
American style: no "and" after "hundred".

>>> number_to_words(312)
'three hundred twelve'
>>> year_to_words(1984)
'nineteen eighty four'
"""

from __future__ import annotations

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
        "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# Each scale word covers three more digits; index i means 1000**i.
SCALES = ["", "thousand", "million", "billion"]
# Ordinals differ from cardinals only in the last word.
_ORDINAL_LAST = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                 "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def _below_thousand(n: int) -> list[str]:
    """Words for 1 <= n <= 999 (an empty list for 0, which the caller drops)."""
    words: list[str] = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
    if n > 0:
        words.append(ONES[n])
    return words


def number_to_words(n: int) -> str:
    """Spell a non-negative integer below 10**12, e.g. 1005 -> 'one thousand five'.

    >>> number_to_words(40)
    'forty'
    """
    if n < 0 or n >= 1000 ** len(SCALES):
        raise ValueError(f"number out of range: {n}")
    if n == 0:
        return ONES[0]
    words: list[str] = []
    for power in range(len(SCALES) - 1, -1, -1):
        chunk = (n // 1000 ** power) % 1000
        if chunk:
            words += _below_thousand(chunk)
            if SCALES[power]:
                words.append(SCALES[power])
    return " ".join(words)


def year_to_words(year: int) -> str:
    """Spell a year as spoken: 1984 -> 'nineteen eighty four', 1905 -> 'nineteen oh five'.

    Years 2000-2009 and round hundreds read as cardinals ('two thousand seven',
    'nineteen hundred').
    """
    if not 1000 <= year <= 2099:
        raise ValueError(f"year out of range: {year}")
    high, low = divmod(year, 100)
    if 2000 <= year <= 2009:
        return number_to_words(year)
    if low == 0:
        return f"{number_to_words(high)} hundred"
    if low < 10:
        return f"{number_to_words(high)} oh {ONES[low]}"
    return f"{number_to_words(high)} {number_to_words(low)}"


def ordinal_to_words(n: int) -> str:
    """Spell an ordinal: 1 -> 'first', 22 -> 'twenty second', 40 -> 'fortieth'."""
    if n < 1:
        raise ValueError(f"ordinals start at 1: {n}")
    words = number_to_words(n).split()
    last = words[-1]
    if last in _ORDINAL_LAST:
        words[-1] = _ORDINAL_LAST[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"  # twenty -> twentieth
    else:
        words[-1] = last + "th"  # six -> sixth, hundred -> hundredth
    return " ".join(words)


def number_words() -> set[str]:
    """Every word the spellers above can produce (for vocabulary bookkeeping)."""
    cardinals = set(ONES) | set(TENS[2:]) | {"hundred", "oh"} | set(SCALES[1:])
    ordinals = {ordinal_to_words(n) for n in list(range(1, 20)) + list(range(20, 100, 10))}
    ordinals |= {"hundredth", "thousandth", "millionth", "billionth"}
    return cardinals | ordinals
