"""The synthetic speakers: espeak-ng voices, each a LibriSpeech speaker id.

A voice identity is an espeak-ng language (the accent) plus a variant (the
timbre: ``+m1``..``+m7`` male, ``+f1``..``+f5`` female) and a base pitch and speed.
Each utterance draws its own pitch and speed around that base, so one speaker
never sounds exactly the same twice.

Three groups: train voices (also used for dev, and some of them for test),
unseen test voices, and the open-vocabulary voice, which no other subset uses.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

SPEED_RANGE = (140, 190)  # words per minute, espeak-ng -s
PITCH_RANGE = (35, 65)  # espeak-ng -p, 0..99
SPEED_JITTER = 12  # per-utterance spread around the voice's base speed
PITCH_JITTER = 6  # ... and base pitch


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker."""

    speaker: int  # LibriSpeech speaker id, the directory name
    espeak: str  # espeak-ng -v argument, e.g. 'en-us+f3'
    sex: str  # 'M' or 'F', as in LibriSpeech's SPEAKERS.TXT
    pitch: int  # base pitch, espeak-ng -p
    speed: int  # base speed in words per minute, espeak-ng -s

    def prosody(self, rng: random.Random) -> tuple[int, int]:
        """Draw one utterance's (speed, pitch) around this voice's base, kept in range."""
        speed = round(self.speed + rng.uniform(-SPEED_JITTER, SPEED_JITTER))
        pitch = round(self.pitch + rng.uniform(-PITCH_JITTER, PITCH_JITTER))
        return _clamp(speed, SPEED_RANGE), _clamp(pitch, PITCH_RANGE)

    def describe(self) -> dict:
        """Plain-dict form for voices.json."""
        return asdict(self)


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


# Accents and variants are spread so that every group mixes sexes and accents. "en" is British
# English: espeak-ng 1.51 ignores a variant written "en-gb+VARIANT" and speaks the bare en-gb voice
# (tests/synth/test_voices.py checks that every voice differs from its bare accent).
# Eight voices, not more: at the mini recipe's budget 30 voices (one per variant) gave 2.30% test
# CER against 1.66% for eight, with no gain on the unseen voices; the frequency-warp augmentation
# (specaugment.freq_warp) is what carries a model to new timbres.
TRAIN_VOICES = (
    Voice(101, "en-us+m1", "M", 45, 165),
    Voice(102, "en-us+f2", "F", 55, 160),
    Voice(103, "en+m3", "M", 40, 170),
    Voice(104, "en+f1", "F", 58, 155),
    Voice(105, "en-gb-x-rp+m4", "M", 48, 175),
    Voice(106, "en-gb-scotland+f3", "F", 52, 160),
    Voice(107, "en-029+m2", "M", 42, 150),
    Voice(108, "en-gb-x-gbclan+f4", "F", 60, 170),
)
# New speakers with accents that training covers, in timbres no train voice has. A new *accent*
# is out of reach for a character model trained on espeak-ng's rules for six: it cannot know how
# that accent's vowels are spelt (measured: 12% and 23% test CER for en-us-nyc and
# en-gb-x-gbcwmd voices against 2-3% for the training voices, same model).
UNSEEN_TEST_VOICES = (
    Voice(201, "en-us+m5", "M", 44, 165),
    Voice(202, "en-gb-x-rp+f5", "F", 56, 160),
)
OPEN_VOICE = Voice(301, "en+m6", "M", 50, 160)
# Variants no corpus voice uses, left for trying a model on a new voice (recipes/mini stage 5).
SPARE_VARIANTS = ("Andrea", "Michael", "m7", "Annie")

# Test speaks with half the train voices (both sexes, four accents) plus the unseen ones.
SEEN_TEST_SPEAKERS = (101, 102, 105, 106)


def subset_voices(subset: str) -> tuple[Voice, ...]:
    """The voices that speak `subset` ('train', 'dev', 'test' or 'test-open'), in order."""
    if subset in ("train", "dev"):
        return TRAIN_VOICES
    if subset == "test":
        seen = tuple(v for v in TRAIN_VOICES if v.speaker in SEEN_TEST_SPEAKERS)
        return seen + UNSEEN_TEST_VOICES
    if subset == "test-open":
        return (OPEN_VOICE,)
    raise ValueError(f"unknown subset: {subset!r}")


def all_voices() -> tuple[Voice, ...]:
    """Every voice, train first."""
    return TRAIN_VOICES + UNSEEN_TEST_VOICES + (OPEN_VOICE,)
