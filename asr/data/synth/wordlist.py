"""Broad word classes picked from wordfreq's English list by spelling heuristics.

A character CTC model can only learn letter-to-sound rules from the words it hears,
so the sentence templates draw from thousands of common words rather than a few
hundred. wordfreq has no part-of-speech tags; we guess a word's class from its
suffix and from which inflected forms exist in a larger slice of the same list
(``plan`` has ``plans`` and ``planned``: a verb; ``quick`` has ``quickest``: an
adjective). The guesses are rough, but a slightly odd sentence still teaches
spelling; what matters is breadth.

Class members come from the top `VOCAB_CUTOFF` words only, so the open-vocabulary
test set can use rarer words the generator never says.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import wordfreq

from asr.data.synth import lexicon

# Class members: wordfreq ranks [0, VOCAB_CUTOFF). 2000 gives ~2100 words: broad enough to teach
# letter-to-sound rules, narrow enough that a 4000-sentence corpus shows each word ~10 times, so a
# character model also learns the spelling of the words it will be tested on (measured: 0.2% of
# test words unseen in training, against 7.5% with a cutoff of 8000).
VOCAB_CUTOFF = 2000
EVIDENCE_SIZE = 50000  # inflected forms are looked up among this many words
OPEN_RANKS = (10000, 30000)  # open-vocabulary test words come from these ranks
# Spelling words: the ranks between the generator's and the open test's, spoken only in training
# (random sequences, asr synth --train-spelling) to teach letter-to-sound rules beyond the
# templates' words without touching a word of the open-vocabulary test.
SPELLING_RANKS = (VOCAB_CUTOFF, OPEN_RANKS[0])

_PLAIN = re.compile(r"[a-z]+")
_VOWEL = re.compile(r"[aeiouy]")
NOUN_SUFFIXES = ("tion", "sion", "ment", "ness", "ity", "ance", "ence", "ship", "ism",
                 "hood", "dom", "ure", "ist", "ery")
ADJECTIVE_SUFFIXES = ("ous", "ful", "ive", "able", "ible", "al", "ic", "less", "ary",
                      "ent", "ant", "ish")


@dataclass(frozen=True)
class WordClasses:
    """Words sorted into the slots the sentence templates fill (each a sorted tuple)."""

    nouns: tuple[str, ...]  # singular, countable or abstract: 'station', 'garden'
    plurals: tuple[str, ...]  # 'stations', 'gardens'
    verbs: tuple[str, ...]  # base forms: 'plan', 'arrive'
    pasts: tuple[str, ...]  # past forms: 'planned', 'documented'
    ings: tuple[str, ...]  # present participles: 'planning'
    adjectives: tuple[str, ...]  # 'famous', 'quick'
    adverbs: tuple[str, ...]  # 'quickly', 'basically'
    presents: tuple[str, ...]  # third person singular: 'plans', 'arrives'


def is_clean(word: str) -> bool:
    """True for plain lower-case a-z words that are not junk or profanity.

    >>> is_clean("garden"), is_clean("nhs"), is_clean("it's")
    (True, False, False)
    """
    if not _PLAIN.fullmatch(word) or not _VOWEL.search(word):
        return False  # digits, apostrophes, acronyms such as 'nhs'
    if len(word) < 3 and word not in lexicon.SHORT_WORDS:
        return False  # 'mc', 'uk', 's': abbreviations and fragments
    if word in lexicon.BLOCKED_WORDS:
        return False
    return not any(word.startswith(p) for p in lexicon.BLOCKED_PREFIXES)


@functools.lru_cache(maxsize=1)
def ranked_words() -> tuple[str, ...]:
    """wordfreq's English list down to `EVIDENCE_SIZE`, most frequent first, unfiltered."""
    return tuple(wordfreq.top_n_list("en", EVIDENCE_SIZE))


def _past_forms(base: str) -> list[str]:
    """Regular past-tense spellings of a verb: plan -> planned, try -> tried."""
    forms = [base + "ed", base + "d"]
    if len(base) > 2 and base[-1] not in "aeiouwxy":
        forms.append(base + base[-1] + "ed")  # doubled final consonant
    if base.endswith("y"):
        forms.append(base[:-1] + "ied")
    return forms


def _bases(inflected: str, suffix: str) -> list[str]:
    """Candidate stems of a word ending in 'ed', 'ing', 's' or 'ly'."""
    stem = inflected[: -len(suffix)]
    out = [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2]:
        out.append(stem[:-1])  # planned -> plan
    if suffix in ("ed", "s", "ly") and stem.endswith("i"):
        out.append(stem[:-1] + "y")  # tried -> try, happily -> happy
    if suffix == "s" and stem.endswith("e"):
        out.append(stem[:-1])  # boxes -> box
    if suffix == "s" and stem.endswith("ie"):
        out.append(stem[:-2] + "y")  # parties -> party
    if suffix == "ly" and stem.endswith("al"):
        out.append(stem[:-2])  # basically -> basic
    if suffix == "ly":
        out.append(stem[:-1] + "le" if stem.endswith("b") or stem.endswith("p") else stem)
    return out


def _plural(noun: str) -> str:
    """Regular plural spelling: box -> boxes, city -> cities, garden -> gardens."""
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 2 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _ing_forms(base: str) -> list[str]:
    """Present-participle spellings of a verb: plan -> planning, arrive -> arriving."""
    forms = [base + "ing"]
    if base.endswith("e") and not base.endswith("ee"):
        forms.append(base[:-1] + "ing")
    if len(base) > 2 and base[-1] not in "aeiouwxy":
        forms.append(base + base[-1] + "ing")
    return forms


def _superlative(adj: str) -> list[str]:
    """Superlative spellings whose presence marks an adjective: quickest, biggest, happiest."""
    # 'wise' -> 'wisest' only: 'con' + 'st' would be 'cost'.
    forms = [adj + "st"] if adj.endswith("e") else [adj + "est"]
    if adj.endswith("y"):
        forms.append(adj[:-1] + "iest")
    if len(adj) > 2 and adj[-1] not in "aeiouwy":
        forms.append(adj + adj[-1] + "est")
    return forms


class _Guesser:
    """Answers 'is this a verb / noun / adjective?' from the forms present in the list."""

    def __init__(self, evidence: set[str], excluded: set[str]) -> None:
        self.evidence = evidence  # every word in the larger slice of the list
        self.excluded = excluded  # hand-written function words and irregular verbs
        self.irregular = {base for base, _ in lexicon.IRREGULAR_VERBS}

    def is_verb(self, word: str) -> bool:
        # Both a past and a participle: 'carpeted' alone would make 'carpet' a verb.
        return (any(form in self.evidence for form in _past_forms(word))
                and any(form in self.evidence for form in _ing_forms(word)))

    def is_adjective(self, word: str) -> bool:
        if any(form in self.evidence for form in _superlative(word)):
            return True
        return (word.endswith(ADJECTIVE_SUFFIXES) and not word.endswith(NOUN_SUFFIXES)
                and _plural(word) not in self.evidence and not self.is_verb(word))

    def is_noun(self, word: str) -> bool:
        if self.is_adjective(word) or word.endswith(("ing", "ed", "ly")):
            return False
        if word.endswith(NOUN_SUFFIXES):
            return True
        return _plural(word) in self.evidence and not self.is_verb(word)

    def is_adverb(self, word: str) -> bool:
        """'-ly' words made from an adjective-like stem ('perfectly'), not a noun ('weekly')."""
        if not word.endswith("ly") or len(word) < 5:
            return False
        for stem in _bases(word, "ly"):
            if len(stem) >= 3 and stem in self.evidence:
                return self.is_adjective(stem) or not self.is_noun(stem)
        return False

    def base_verb(self, inflected: str, suffix: str) -> str | None:
        """The verb a past/participle/third-person form comes from, if any."""
        for stem in _bases(inflected, suffix):
            if len(stem) < 2 or stem not in self.evidence:
                continue
            if stem in self.irregular or (stem not in self.excluded and self.is_verb(stem)):
                return stem
        return None

    def base_noun(self, plural: str, members: set[str]) -> str | None:
        """The common singular noun (one of `members`) a plural comes from, if any."""
        for stem in _bases(plural, "s"):
            if stem in members and _plural(stem) == plural and self.is_noun(stem):
                return stem
        return None


def _excluded_words() -> set[str]:
    """Words the hand-written lexicon already places; broad classes must not re-guess them."""
    words = set(lexicon.SUBJECTS + lexicon.OBJECTS + lexicon.POSSESSIVES + lexicon.PREPOSITIONS
                + lexicon.CONJUNCTIONS + lexicon.MODALS + lexicon.SINGULAR_DETERMINERS
                + lexicon.PLURAL_DETERMINERS + lexicon.INTENSIFIERS)
    for base, past in lexicon.IRREGULAR_VERBS:
        words |= {base, past}
    return words


def _word_class(word: str, guess: _Guesser, members: set[str]) -> str | None:
    """The `WordClasses` field `word` belongs to, or None when it is no content word we can place.

    Order matters: inflected forms first, then the more specific guesses. Names, acronyms and
    foreign words ('sanchez', 'cba', 'buenos') show none of the forms and come out None.
    """
    if word.endswith("ed") and guess.base_verb(word, "ed"):
        return "pasts"
    if word.endswith("ing") and guess.base_verb(word, "ing"):
        return "ings"
    if guess.is_adverb(word):
        return "adverbs"
    if guess.is_adjective(word):
        return "adjectives"
    if guess.is_verb(word):
        return "verbs"
    if guess.is_noun(word):
        return "nouns"
    if word.endswith("s") and guess.base_noun(word, members):
        return "plurals"
    if word.endswith("s") and guess.base_verb(word, "s"):
        return "presents"
    return None


def _candidates(ranks: tuple[int, int], exclude: set[str]) -> list[str]:
    """Clean words of wordfreq ranks [start, stop), at least 3 letters, none in `exclude`."""
    start, stop = ranks
    return [w for w in ranked_words()[start:stop] if len(w) >= 3 and is_clean(w) and w not in exclude]


@functools.lru_cache(maxsize=1)
def _guesser() -> _Guesser:
    return _Guesser(set(ranked_words()), _excluded_words())


@functools.lru_cache(maxsize=1)
def word_classes() -> WordClasses:
    """Sort the top `VOCAB_CUTOFF` clean words into template slots (cached; ~1 s)."""
    members = _candidates((0, VOCAB_CUTOFF), _excluded_words())
    member_set = set(members)
    classes: dict[str, set[str]] = {name: set() for name in WordClasses.__dataclass_fields__}
    for word in members:
        name = _word_class(word, _guesser(), member_set)
        if name is not None:
            classes[name].add(word)
    return WordClasses(**{name: tuple(sorted(words)) for name, words in classes.items()})


def words_in_ranks(ranks: tuple[int, int], exclude: set[str]) -> tuple[str, ...]:
    """English content words of wordfreq ranks [start, stop) (by the rules that place template
    words), at least 3 letters, none in `exclude`, most frequent first.

    `OPEN_RANKS` give the open-vocabulary test words, `SPELLING_RANKS` the training-only ones.
    Names, acronyms and foreign words are left out: espeak-ng spells 'cba' letter by letter and
    says 'buenos' in no English way, so no model could write them from sound.
    """
    candidates = _candidates(ranks, exclude)
    members = set(candidates)
    return tuple(w for w in candidates if _word_class(w, _guesser(), members) is not None)
