"""Sentence templates and the slot fillers that turn them into text.

A template is a string of literal words and ``{slot}`` names; each slot is a
function of a `random.Random` that returns one or more words. Slots draw from the
hand-written lexicon (`asr.data.synth.lexicon`), the broad wordfreq classes
(`asr.data.synth.wordlist`) and spelled-out numbers (`asr.data.synth.numbers`).

>>> import random
>>> len(fill("{subject} {past} {np}", random.Random(0)).split()) >= 3
True
"""

from __future__ import annotations

import functools
import random
import re
from typing import Callable

from asr.data.synth import lexicon
from asr.data.synth.numbers import number_to_words, ordinal_to_words, year_to_words
from asr.data.synth.wordlist import WordClasses, word_classes

Slot = Callable[[random.Random], str]

TEMPLATES = [
    "{subject} {past} {np} {prep} {np}",
    "{np} {past} {adverb} {time}",
    "{subject} {modal} {verb} {nps} {prep} {np}",
    "{name} {present} {nps} every {weekday}",
    "{subject} {negated} {verb} {np} {conj} {subject} {past} {adverb}",
    "{subject} was {ing} {np} when {np} {past}",
    "there were {count} {plural} {prep} {np}",
    "the {noun} of {np} is {intensifier} {adjective}",
    "{fullname} {past} {nps} in {year}",
    "on the {ordinal} of {month} {subject} {past} {np}",
    "why did {np} {verb} {nps} {time}",
    "{nps} are {adjective} {conj} {nps} are {adjective}",
    "{name}'s {noun} {past} {np} {adverb}",
    "it's {intensifier} {adjective} to {verb} {np} {prep} {np}",
    "{subject} {past} that {np} {present} {nps}",
    "after the {noun} {subject} {past} {prep} {np}",
    "{adjective} {plural} {past} {prep} the {adjective} {noun}",
    "how many {plural} did {fullname} {verb} {time}",
    "{np} costs {count} dollars and {count} cents",
    "{contraction} {ing} the {adjective} {noun} {time}",
    "let's {verb} {np} {adverb} {conj} {subject} {past}",
    "{subject} {adverb} {past} {np} {prep} {np} {time}",
    "the {adjective} {noun} and the {adjective} {noun} {past} {prep} {nps}",
    "{name} {surname} {past} {np} {conj} {np} {present} {np}",
]
MIN_WORDS, MAX_WORDS = 5, 14
CONTRACTIONS = ["i'm", "we're", "they're", "you're", "he's", "she's"]
_SLOT = re.compile(r"\{(\w+)\}")


def _pick(words: tuple[str, ...] | list[str]) -> Slot:
    """A slot that draws one entry uniformly."""
    return lambda rng: rng.choice(words)


def _either(*parts: tuple[float, Slot]) -> Slot:
    """A slot that picks one of several slots with the given weights."""
    weights = [w for w, _ in parts]
    slots = [s for _, s in parts]
    return lambda rng: rng.choices(slots, weights)[0](rng)


def _with_article(determiner: str, rest: str) -> str:
    """'a apple' -> 'an apple' (by spelling, which is right for almost all words)."""
    if determiner == "a" and rest[0] in "aeiou":
        determiner = "an"
    return f"{determiner} {rest}"


def _count(rng: random.Random) -> str:
    """A spelled number: mostly small, sometimes in the hundreds or thousands."""
    bound = rng.choices([20, 100, 1000, 100000], [4, 3, 2, 1])[0]
    return number_to_words(rng.randrange(2, bound))


@functools.lru_cache(maxsize=1)
def slots() -> dict[str, Slot]:
    """Slot name -> filler, built once from the word classes."""
    c: WordClasses = word_classes()
    nouns = c.nouns + tuple(s for s, _ in lexicon.CORE_NOUNS)
    plurals = c.plurals + tuple(p for _, p in lexicon.CORE_NOUNS)
    adjectives = c.adjectives + tuple(lexicon.CORE_ADJECTIVES)
    name = _pick(lexicon.FIRST_NAMES)
    adjective = _pick(adjectives)

    def noun_phrase(rng: random.Random) -> str:
        core = rng.choice(nouns) if rng.random() < 0.6 else f"{adjective(rng)} {rng.choice(nouns)}"
        return _with_article(rng.choice(lexicon.SINGULAR_DETERMINERS), core)

    def plural_phrase(rng: random.Random) -> str:
        core = rng.choice(plurals) if rng.random() < 0.6 else f"{adjective(rng)} {rng.choice(plurals)}"
        return f"{rng.choice(lexicon.PLURAL_DETERMINERS)} {core}"

    fullname: Slot = lambda rng: f"{name(rng)} {rng.choice(lexicon.SURNAMES)}"
    table: dict[str, Slot] = {
        "noun": _pick(nouns),
        "plural": _pick(plurals),
        "adjective": adjective,
        "verb": _pick(c.verbs + tuple(b for b, _ in lexicon.IRREGULAR_VERBS)),
        "past": _pick(c.pasts + tuple(p for _, p in lexicon.IRREGULAR_VERBS)),
        "present": _pick(c.presents),
        "ing": _pick(c.ings),
        "adverb": _pick(c.adverbs + tuple(lexicon.CORE_ADVERBS)),
        "name": name,
        "surname": _pick(lexicon.SURNAMES),
        "fullname": fullname,
        "np": _either((6, noun_phrase), (1, name), (1, fullname)),
        "nps": _either((5, plural_phrase), (1, lambda rng: f"{_count(rng)} {rng.choice(plurals)}")),
        "subject": _either((3, _pick(lexicon.SUBJECTS)), (2, noun_phrase), (1, name)),
        "prep": _pick(lexicon.PREPOSITIONS),
        "conj": _pick(lexicon.CONJUNCTIONS),
        "modal": _pick(lexicon.MODALS),
        "negated": _pick(lexicon.NEGATED),
        "intensifier": _pick(lexicon.INTENSIFIERS),
        "contraction": _pick(CONTRACTIONS),
        "time": _either((3, _pick(lexicon.TIME_PHRASES)),
                        (1, lambda rng: f"on {rng.choice(lexicon.WEEKDAYS)}"),
                        (1, lambda rng: f"in {rng.choice(lexicon.MONTHS)}")),
        "weekday": _pick(lexicon.WEEKDAYS),
        "month": _pick(lexicon.MONTHS),
        "count": _count,
        "ordinal": lambda rng: ordinal_to_words(rng.randrange(1, 32)),
        "year": lambda rng: year_to_words(rng.randrange(1066, 2100)),
    }
    return table


def fill(template: str, rng: random.Random) -> str:
    """Replace every ``{slot}`` in `template` by an independent draw."""
    table = slots()
    return _SLOT.sub(lambda m: table[m.group(1)](rng), template)


def template_literals() -> set[str]:
    """Words the templates and slot fillers say that no word list holds ('there', 'dollars')."""
    words = {token for template in TEMPLATES for token in template.split() if "{" not in token}
    words |= set(CONTRACTIONS) | {"an", "on", "in"}  # 'an' comes from _with_article
    return words | {f"{name}'s" for name in lexicon.FIRST_NAMES}  # the "{name}'s" template
