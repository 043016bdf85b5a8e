"""A file replaced whole: the old one stays until the new one is complete."""

import os

import pytest

from asr.utils.atomic_file import replaced_whole


def test_an_error_while_writing_leaves_the_old_file_and_no_partial_one(tmp_path):
    target = tmp_path / "out" / "hyps.jsonl"
    with replaced_whole(target) as f:  # the folder is made
        f.write("old\n")
    with pytest.raises(RuntimeError):
        with replaced_whole(target) as f:
            f.write("half of the new")
            assert target.read_text() == "old\n"  # nothing shows until the rename
            raise RuntimeError("killed")
    assert target.read_text() == "old\n" and os.listdir(target.parent) == ["hyps.jsonl"]


def test_text_is_utf8_and_binary_is_bytes(tmp_path):
    with replaced_whole(tmp_path / "a.txt") as f:
        f.write("fïle ñame 中\n")
    with replaced_whole(tmp_path / "b.bin", "wb", fsync=True) as f:
        f.write(b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == "fïle ñame 中\n".encode() and (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.bin"]
