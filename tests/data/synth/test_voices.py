"""The synthetic speakers: every variant is one espeak-ng knows, and the groups do not share timbres."""

from __future__ import annotations

import numpy as np
import pytest

from asr.data.synth import tts
from asr.data.synth.voices import (
    OPEN_VOICE,
    SEEN_TEST_SPEAKERS,
    SPARE_VARIANTS,
    TRAIN_VOICES,
    UNSEEN_TEST_VOICES,
    all_voices,
    subset_voices,
)


def _variant(espeak: str) -> str:
    return espeak.split("+", 1)[1]


def test_groups_share_no_timbre_and_ids_are_unique() -> None:
    train = {_variant(v.espeak) for v in TRAIN_VOICES}
    held_out = [_variant(v.espeak) for v in UNSEEN_TEST_VOICES + (OPEN_VOICE,)] + list(SPARE_VARIANTS)
    assert not train & set(held_out)
    assert len(held_out) == len(set(held_out))
    speakers = [v.speaker for v in all_voices()]
    assert len(speakers) == len(set(speakers))
    assert len(TRAIN_VOICES) >= 24 and {v.sex for v in TRAIN_VOICES} == {"M", "F"}


def test_test_subset_mixes_seen_and_unseen_voices() -> None:
    test = subset_voices("test")
    assert {v.speaker for v in test} == set(SEEN_TEST_SPEAKERS) | {v.speaker for v in UNSEEN_TEST_VOICES}
    assert subset_voices("train") == subset_voices("dev") == TRAIN_VOICES


@pytest.mark.skipif(tts.shutil.which(tts.ESPEAK) is None, reason="espeak-ng is not installed")
def test_every_variant_changes_the_voice() -> None:
    """espeak-ng silently ignores a variant name it does not know: each must sound unlike the bare accent."""
    bare: dict[str, np.ndarray] = {}
    variants = [v.espeak for v in all_voices()] + [f"en-us+{name}" for name in SPARE_VARIANTS]
    for espeak in variants:
        accent = espeak.split("+")[0]
        if accent not in bare:
            bare[accent] = tts.speak("hello there", accent, 160, 50)
        audio = tts.speak("hello there", espeak, 160, 50)
        same_length = len(audio) == len(bare[accent])
        assert not (same_length and np.allclose(audio, bare[accent])), f"{espeak} sounds like {accent}"
