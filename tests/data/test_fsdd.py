"""Free Spoken Digit Dataset: every real recording (2000, or the in-repository sample's 600), the splits,
and odd file names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asr.data.fsdd import DIGIT_WORDS, FsddSplit, prepare_fsdd, read_fsdd, split_fsdd, take_number
from asr.data.manifest import read_manifest
from asr.errors import UserError


@pytest.fixture(scope="module")
def fsdd(fsdd_recordings: Path):
    # The parent of recordings/, as the FSDD repository is laid out.
    return read_fsdd(fsdd_recordings.parent)


def test_reads_all_recordings(fsdd, fsdd_corpus) -> None:
    utterances, report = fsdd
    assert (len(utterances), report.problems) == (fsdd_corpus.utterances, 0)
    assert {u.text for u in utterances} == set(DIGIT_WORDS)
    assert {u.speaker for u in utterances} == {"jackson", "nicolas", "theo", "yweweler"}
    seven = next(u for u in utterances if u.id == "7_theo_12")
    assert (seven.text, seven.speaker, take_number(seven)) == ("seven", "theo", 12)
    assert {take_number(u) for u in utterances} == set(range(fsdd_corpus.takes))
    assert all(0 < u.duration < 3 for u in utterances)


def test_recipe_split_is_disjoint_and_as_specified(fsdd, fsdd_corpus) -> None:
    utterances, _ = fsdd
    last = fsdd_corpus.takes  # takes 0-49, or the sample's 0-14
    split = FsddSplit(test_speakers=("theo",), test_takes=tuple(range(5)),
                      dev_takes=tuple(range(5, 10)))
    parts = split_fsdd(utterances, split)
    ids = {name: {u.id for u in part} for name, part in parts.items()}
    assert {name: len(part) for name, part in ids.items()} == {
        "train": 3 * 10 * (last - 10), "dev": 3 * 10 * 5, "test_takes": 3 * 10 * 5, "test_speaker": 10 * last}
    assert sum(map(len, ids.values())) == len(set().union(*ids.values())) == fsdd_corpus.utterances
    assert {u.speaker for u in parts["test_speaker"]} == {"theo"}
    for name, takes in (("test_takes", range(5)), ("dev", range(5, 10)), ("train", range(10, last))):
        assert {take_number(u) for u in parts[name]} == set(takes)
        assert "theo" not in {u.speaker for u in parts[name]}


def test_default_split_is_fsdd_convention(fsdd, fsdd_corpus) -> None:
    parts = split_fsdd(fsdd[0], FsddSplit())
    assert {name: len(part) for name, part in parts.items()} == {"train": fsdd_corpus.utterances - 200,
                                                                 "test_takes": 200}


@pytest.mark.parametrize("split, words", [
    (FsddSplit(test_speakers=("bob",)), "no FSDD speaker bob"),
    (FsddSplit(test_takes=(0, 1), dev_takes=(1, 2)), "takes 1 are in both"),
    (FsddSplit(test_takes=tuple(range(50))), "no recordings to train on"),
])
def test_bad_splits_are_user_errors(fsdd, split: FsddSplit, words: str) -> None:
    with pytest.raises(UserError, match=words):
        split_fsdd(fsdd[0], split)


def test_odd_names_and_bad_files_are_counted(fsdd_recordings: Path, tmp_path: Path) -> None:
    for name in ("0_jackson_0.wav", "1_theo_3.wav", "9_nicolas_14.wav"):
        shutil.copy(fsdd_recordings / name, tmp_path / name)
    shutil.copy(fsdd_recordings / "2_theo_1.wav", tmp_path / "hello.wav")
    (tmp_path / "4_theo_2.wav").write_text("not audio")
    (tmp_path / "README.md").write_text("not a recording, not a problem")

    report = prepare_fsdd(tmp_path, tmp_path / "out" / "fsdd.jsonl")
    assert (report.written, report.bad_name, report.unreadable) == (3, 1, 1)
    manifest = read_manifest(tmp_path / "out" / "fsdd.jsonl")
    assert [(u.id, u.text) for u in manifest] == [
        ("0_jackson_0", "zero"), ("1_theo_3", "one"), ("9_nicolas_14", "nine")]
