"""Sentences to be spoken: template sentences and open-vocabulary word sequences.

Template sentences (`generate_sentences`) are the training, dev and test text.
Open-vocabulary sentences (`open_vocabulary_sentences`) are random sequences of
rarer words that the generator never says, so a model that scores well on them
has learned to spell from sound rather than memorised words. Spelling sentences
(`spelling_sentences`) are random sequences of the words ranked between the two,
for training only: more spellings to learn from, none of them a test word.

Every function takes its own seed; nothing touches the global random state.

>>> generate_sentences(2, seed=0) == generate_sentences(2, seed=0)
True
"""

from __future__ import annotations

import functools
import random
import re
from typing import Callable, Collection

from asr.data.synth import lexicon
from asr.data.synth.numbers import number_words
from asr.data.synth.templates import MAX_WORDS, MIN_WORDS, TEMPLATES, fill, template_literals
from asr.data.synth.wordlist import OPEN_RANKS, SPELLING_RANKS, word_classes, words_in_ranks

OPEN_MIN_WORDS, OPEN_MAX_WORDS = 4, 8
ALLOWED = re.compile(r"[a-z' ]+")  # the only characters a transcript may hold
_MAX_TRIES_PER_SENTENCE = 1000  # guards against asking for more distinct sentences than exist


def generate_sentence(rng: random.Random) -> str:
    """One template sentence of `MIN_WORDS`..`MAX_WORDS` lower-case words."""
    while True:
        text = fill(rng.choice(TEMPLATES), rng)
        if MIN_WORDS <= len(text.split()) <= MAX_WORDS:
            return text


def generate_sentences(n: int, seed: int | str, exclude: Collection[str] = frozenset()) -> list[str]:
    """`n` distinct template sentences, none of them in `exclude`.

    The same `seed` gives the same list; a list for a larger `n` starts with the
    list for a smaller one.
    """
    return _distinct(n, seed, exclude, generate_sentence)


def _word_sequence(rng: random.Random, words: tuple[str, ...]) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(OPEN_MIN_WORDS, OPEN_MAX_WORDS)))


def open_vocabulary_sentence(rng: random.Random) -> str:
    """A random sequence of `OPEN_MIN_WORDS`..`OPEN_MAX_WORDS` out-of-vocabulary words."""
    return _word_sequence(rng, _open_words())


def open_vocabulary_sentences(n: int, seed: int | str) -> list[str]:
    """`n` distinct open-vocabulary sentences (see `open_vocabulary_sentence`)."""
    return _distinct(n, seed, frozenset(), open_vocabulary_sentence)


def spelling_sentences(n: int, seed: int | str) -> list[str]:
    """`n` distinct random sequences of `SPELLING_RANKS` words: neither generator nor open-test words."""
    return _distinct(n, seed, frozenset(), lambda rng: _word_sequence(rng, _spelling_words()))


@functools.lru_cache(maxsize=1)
def _generator_vocabulary() -> frozenset[str]:
    """Cached body of `generator_vocabulary`."""
    c = word_classes()
    words = set(c.nouns + c.plurals + c.verbs + c.pasts + c.ings + c.adjectives + c.adverbs + c.presents)
    for pair in lexicon.IRREGULAR_VERBS + lexicon.CORE_NOUNS:
        words |= set(pair)
    for group in (lexicon.SUBJECTS, lexicon.OBJECTS, lexicon.POSSESSIVES, lexicon.SINGULAR_DETERMINERS,
                  lexicon.PLURAL_DETERMINERS, lexicon.PREPOSITIONS, lexicon.CONJUNCTIONS, lexicon.MODALS,
                  lexicon.NEGATED, lexicon.INTENSIFIERS, lexicon.WEEKDAYS, lexicon.MONTHS,
                  lexicon.CORE_ADJECTIVES, lexicon.CORE_ADVERBS, lexicon.FIRST_NAMES, lexicon.SURNAMES):
        words |= set(group)
    for phrase in lexicon.TIME_PHRASES:
        words |= set(phrase.split())
    return frozenset(words | number_words() | template_literals())


def generator_vocabulary() -> set[str]:
    """Every word `generate_sentence` can produce (a fresh set; the caller may change it)."""
    return set(_generator_vocabulary())


@functools.lru_cache(maxsize=1)
def _open_words() -> tuple[str, ...]:
    """The open-vocabulary word list: rarer clean words, disjoint from the generator's."""
    return words_in_ranks(OPEN_RANKS, exclude=_generator_vocabulary())


@functools.lru_cache(maxsize=1)
def _spelling_words() -> tuple[str, ...]:
    """Training-only spelling words: ranks between the generator's and the open test's."""
    return words_in_ranks(SPELLING_RANKS, exclude=_generator_vocabulary())  # disjoint from OPEN_RANKS


def _distinct(n: int, seed: int | str, exclude: Collection[str],
              make: Callable[[random.Random], str]) -> list[str]:
    """Draw with `make(rng)` until `n` texts not in `exclude` and not repeated are found."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > _MAX_TRIES_PER_SENTENCE * (n + 1):
            raise RuntimeError(f"could not find {n} distinct sentences (found {len(out)})")
        text = make(rng)
        if text in seen or text in exclude:
            continue
        seen.add(text)
        out.append(text)
    return out
