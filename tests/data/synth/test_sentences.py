"""Template sentences and open-vocabulary sentences: determinism, breadth, disjointness."""

from __future__ import annotations

import random

from asr.data.synth.corpus import plan_texts
from asr.data.synth.natural import NATURAL_SENTENCES
from asr.data.synth.sentences import (
    ALLOWED,
    OPEN_MAX_WORDS,
    OPEN_MIN_WORDS,
    generate_sentence,
    generate_sentences,
    generator_vocabulary,
    open_vocabulary_sentences,
    spelling_sentences,
)
from asr.data.synth.templates import MAX_WORDS, MIN_WORDS, TEMPLATES, fill
from asr.data.synth.wordlist import OPEN_RANKS, VOCAB_CUTOFF, is_clean, ranked_words, word_classes, words_in_ranks


def test_same_seed_same_sentences_and_other_seed_differs() -> None:
    assert generate_sentences(50, seed=3) == generate_sentences(50, seed=3)
    assert generate_sentences(50, seed=3) != generate_sentences(50, seed=4)


def test_longer_list_extends_shorter_one() -> None:
    assert generate_sentences(80, seed=1)[:30] == generate_sentences(30, seed=1)


def test_sentences_are_distinct_and_avoid_excluded() -> None:
    first = generate_sentences(200, seed=0)
    assert len(set(first)) == 200
    again = generate_sentences(200, seed=0, exclude=set(first[:100]))
    assert not set(again) & set(first[:100])


def test_characters_and_lengths() -> None:
    for text in generate_sentences(2000, seed=5):
        assert ALLOWED.fullmatch(text), text
        assert text == " ".join(text.split())  # single spaces, no edge spaces
        assert MIN_WORDS <= len(text.split()) <= MAX_WORDS


def test_vocabulary_is_broad() -> None:
    words = {w for text in generate_sentences(5000, seed=0) for w in text.split()}
    assert len(words) >= 2000  # ~2100 in the vocabulary (VOCAB_CUTOFF)


def test_every_generated_word_is_in_generator_vocabulary() -> None:
    vocab = generator_vocabulary()
    words = {w for text in generate_sentences(3000, seed=9) for w in text.split()}
    assert words <= vocab


def test_every_template_fills() -> None:
    rng = random.Random(0)
    vocab = generator_vocabulary()
    for template in TEMPLATES:
        text = fill(template, rng)
        assert "{" not in text and set(text.split()) <= vocab, (template, text)


def test_broad_classes_come_from_top_of_wordfreq() -> None:
    top = set(ranked_words()[:VOCAB_CUTOFF])
    classes = word_classes()
    for name in classes.__dataclass_fields__:
        members = getattr(classes, name)
        assert len(members) >= 30, name  # every template slot has real choice
        assert set(members) <= top, name
    assert "quickly" in classes.adverbs and "announced" in classes.pasts


def test_is_clean_drops_junk_and_profanity() -> None:
    assert is_clean("garden") and is_clean("a") and is_clean("i")
    for junk in ("nhs", "s", "mc", "it's", "x2", "fucking", "shit"):
        assert not is_clean(junk), junk


def test_open_vocabulary_shares_no_word_with_generator() -> None:
    vocab = generator_vocabulary()
    sentences = open_vocabulary_sentences(300, seed=0)
    assert len(set(sentences)) == 300
    assert open_vocabulary_sentences(300, seed=0) == sentences
    for text in sentences:
        words = text.split()
        assert OPEN_MIN_WORDS <= len(words) <= OPEN_MAX_WORDS
        assert not set(words) & vocab, text
        assert ALLOWED.fullmatch(text) and all(len(w) >= 3 for w in words)


def test_open_vocabulary_words_are_english_content_words() -> None:
    # Names, acronyms and foreign words that wordfreq ranks 10000-30000 (espeak-ng spells 'cba'
    # out, says 'buenos' in no English way) are not words a model could spell from sound.
    words = set(words_in_ranks(OPEN_RANKS, exclude=generator_vocabulary()))
    assert len(words) > 5000
    for name in ("sanchez", "cba", "buenos", "saab", "leicestershire", "molina", "goddard", "lausanne"):
        assert name not in words, name
    for english in ("puncture", "allegiance", "researched", "abundantly", "modestly", "usefulness"):
        assert english in words, english


def test_generate_sentence_uses_only_given_rng() -> None:
    random.seed(1)
    a = generate_sentence(random.Random(7))
    random.seed(2)
    assert generate_sentence(random.Random(7)) == a


def test_spelling_sentences_use_neither_generator_nor_open_test_words() -> None:
    vocab = generator_vocabulary()
    open_words = {w for s in open_vocabulary_sentences(2000, seed=0) for w in s.split()}
    sentences = spelling_sentences(300, seed=0)
    assert len(set(sentences)) == 300 and spelling_sentences(300, seed=0) == sentences
    words = {w for s in sentences for w in s.split()}
    assert not words & vocab and not words & open_words
    assert len(words) > 1000  # broad: mostly new words in every sentence
    assert all(ALLOWED.fullmatch(s) for s in sentences)


def test_spelling_sentences_join_train_only() -> None:
    texts = plan_texts(0, 20, 5, 5, 5, n_spelling=7)
    assert len(texts["train"]) == 27 and len(texts["dev"]) == 5 and len(texts["test"]) == 5
    assert texts["train"][20:] == spelling_sentences(7, seed="0-spelling")


def test_natural_sentences_are_clean_distinct_and_reach_outside_the_generator() -> None:
    """test-natural exists to measure English beyond the templates: its sentences must be
    transcribable text (the characters a transcript may hold) and hold words the generator never
    says, among them everyday function words."""
    assert len(set(NATURAL_SENTENCES)) == len(NATURAL_SENTENCES) >= 40
    assert all(ALLOWED.fullmatch(s) and s == " ".join(s.split()) for s in NATURAL_SENTENCES)
    words = [w for s in NATURAL_SENTENCES for w in s.split()]
    outside = {w for w in words if w not in generator_vocabulary()}
    assert len(outside) >= 20 and {"it", "has"} <= outside
