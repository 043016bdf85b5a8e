"""Spelling numbers, years and ordinals as words."""

from __future__ import annotations

import pytest

from asr.data.synth.numbers import number_to_words, number_words, ordinal_to_words, year_to_words


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"),
    (100, "one hundred"), (312, "three hundred twelve"), (1000, "one thousand"),
    (1005, "one thousand five"), (1234, "one thousand two hundred thirty four"),
    (20000, "twenty thousand"), (100001, "one hundred thousand one"),
    (2000017, "two million seventeen"), (3000000000, "three billion"),
])
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words


@pytest.mark.parametrize("n", [-1, 10 ** 12])
def test_number_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        number_to_words(n)


@pytest.mark.parametrize("year, words", [
    (1984, "nineteen eighty four"), (1905, "nineteen oh five"), (1900, "nineteen hundred"),
    (2000, "two thousand"), (2007, "two thousand seven"), (2024, "twenty twenty four"),
])
def test_year_to_words(year: int, words: str) -> None:
    assert year_to_words(year) == words


@pytest.mark.parametrize("n, words", [
    (1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (12, "twelfth"),
    (20, "twentieth"), (21, "twenty first"), (40, "fortieth"), (100, "one hundredth"),
])
def test_ordinal_to_words(n: int, words: str) -> None:
    assert ordinal_to_words(n) == words


def test_number_words_cover_every_spelling() -> None:
    vocab = number_words()
    for n in list(range(0, 2100)) + [10 ** 6, 10 ** 9 + 7]:
        assert set(number_to_words(n).split()) <= vocab
    for n in range(1, 200):
        assert set(ordinal_to_words(n).split()) <= vocab
    for year in range(1000, 2100):
        assert set(year_to_words(year).split()) <= vocab
