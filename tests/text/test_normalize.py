"""What normalisation keeps, and which transcripts it loses: the one test prepare, train and evaluate share."""

import pytest

from asr.text.normalize import dropped_letters, lost_in_normalisation, normalize_text


@pytest.mark.parametrize("text", ["北京欢迎你", "שלום עולם", "Привет, мир", "Γειά σου", "—?!", "",
                                  "the 中文中文中文"])  # the last keeps "the" of 7 letters
def test_transcripts_in_other_scripts_are_lost(text):
    assert lost_in_normalisation(text)


@pytest.mark.parametrize("text", ["Ça va très bien", "Việt Nam", "I’m 42", "Straße", "the cat sat 中文", "[NOISE]"])
def test_latin_text_with_a_few_foreign_letters_is_kept(text):
    assert normalize_text(text) and not lost_in_normalisation(text)


def test_dropped_letters_counts_letters_and_digits_only():
    assert dropped_letters("Straße, 2!") == (1, 7)  # ß has no ASCII form; the comma, space and ! are no letters
    assert dropped_letters("你好 ok") == (2, 4)
