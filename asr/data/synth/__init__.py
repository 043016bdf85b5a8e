"""Synthetic speech corpora: template sentences spoken by espeak-ng, in LibriSpeech layout.

Modules, from words up:

- ``numbers``: spell integers, years and ordinals as words.
- ``lexicon``: hand-written function words, irregular verbs, names, blocked words.
- ``wordlist``: broad word classes guessed from wordfreq's English list.
- ``templates``: sentence templates and the slot fillers.
- ``sentences``: distinct sentences for a seed, open-vocabulary sentences, the vocabulary.
- ``voices``: the espeak-ng voices that play LibriSpeech speakers.
- ``tts``: espeak-ng -> 16 kHz trimmed audio -> FLAC.
- ``corpus``: plan and write train/dev/test/test-open (``generate_corpus``).
"""

from asr.data.synth.corpus import generate_corpus
from asr.data.synth.sentences import generate_sentences, generator_vocabulary, open_vocabulary_sentences

__all__ = ["generate_corpus", "generate_sentences", "generator_vocabulary", "open_vocabulary_sentences"]
