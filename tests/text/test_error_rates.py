import pytest

from asr.text.error_rates import error_rates


def test_error_rates_are_corpus_level_and_normalised():
    rates = error_rates(["The cat sat.", "on the MAT"], ["the bat sat", "on the mat"])
    assert rates["wer"] == pytest.approx(1 / 6)
    assert rates["cer"] == pytest.approx(1 / 21)  # "the cat sat" + "on the mat" = 21 characters


def test_empty_reference_counts_insertions():
    assert error_rates(["a"], ["a b"])["wer"] == pytest.approx(1.0)
    assert error_rates([], []) == {"wer": 0.0, "cer": 0.0}
