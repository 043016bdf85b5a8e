"""Fuzzing the manifest reader (hypothesis): any file, JSON or not, valid UTF-8 or not, with any keys and
values, gives utterances with sound fields or one UserError naming the file and line, never another
exception."""

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr.data.manifest import KNOWN_FIELDS, read_manifest
from asr.errors import UserError

# derandomize: CI runs the same 1000 cases each time (new ones come from changing the strategies)
FUZZ = settings(max_examples=1000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**400, max_value=10**400),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                   st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
GOOD = {"id": "u1", "audio": "a.flac", "duration": 1.5, "text": "hello", "speaker": "s"}
OBJECTS = st.one_of(
    st.fixed_dictionaries({}, optional={k: VALUES for k in KNOWN_FIELDS | {"extra"}}),
    st.builds(lambda key, value: {**GOOD, key: value}, st.sampled_from(sorted(KNOWN_FIELDS)), VALUES),
    st.just(GOOD))
LINES = st.one_of(OBJECTS.map(json.dumps), st.text(max_size=40), st.just(""), VALUES.map(json.dumps))


def _read_or_refuse(path: Path) -> None:
    try:
        utterances = read_manifest(path)
    except UserError as err:
        assert str(path) in str(err) and "\n" not in str(err)
        return
    for utt in utterances:
        assert isinstance(utt.id, str) and utt.id and isinstance(utt.text, str) and isinstance(utt.speaker, str)
        assert isinstance(utt.duration, float) and math.isfinite(utt.duration) and utt.duration >= 0
    assert len({u.id for u in utterances}) == len(utterances)


@FUZZ
@given(lines=st.lists(LINES, max_size=6))
def test_any_lines_give_sound_utterances_or_one_line(lines: list[str], tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    _read_or_refuse(path)


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_give_utterances_or_one_line(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(content)
    _read_or_refuse(path)


def test_a_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(json.dumps({**GOOD, "audio": f"{i}.flac"}) for i in range(2)))
    with pytest.raises(UserError, match=r"m\.jsonl:2: utterance id 'u1' is already on line 1"):
        read_manifest(path)
