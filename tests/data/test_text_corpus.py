"""Text for tokenizers and language models: plain and gzipped text files and manifests, normalised;
a sample of N sentences is a uniform draw from the whole corpus, the same for the same seed."""

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from asr.data.text_corpus import read_texts
from asr.errors import UserError


def test_text_gzipped_text_and_manifests_are_read_and_normalised(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("HELLO WORLD\n\n  \nIT'S A TEST\n")
    with gzip.open(tmp_path / "b.txt.gz", "wt") as f:
        f.write("LIBRISPEECH LM TEXT\n")
    (tmp_path / "m.jsonl").write_text(json.dumps({"id": "u", "audio": "u.wav", "duration": 1.0, "text": "From A Manifest", "speaker": "s"}) + "\n")
    texts = read_texts([tmp_path / "a.txt", tmp_path / "b.txt.gz", tmp_path / "m.jsonl"])
    assert texts == ["hello world", "it's a test", "librispeech lm text", "from a manifest"]


def test_a_sample_is_uniform_over_the_corpus_and_repeatable(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("".join(f"sentence {i}\n" for i in range(1000)))
    sample = read_texts([tmp_path / "t.txt"], max_sentences=100, seed=3)
    assert len(set(sample)) == 100 and sample == read_texts([tmp_path / "t.txt"], max_sentences=100, seed=3)
    counts = Counter()  # how often each tenth of the corpus is drawn, over 40 seeds: 400 each if uniform
    for seed in range(40):
        counts.update(int(t.split()[1]) // 100 for t in read_texts([tmp_path / "t.txt"], 100, seed))
    assert all(330 < counts[d] < 470 for d in range(10)), counts


def test_missing_empty_and_broken_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        read_texts([tmp_path / "absent.txt"])
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(UserError, match="no text"):
        read_texts([tmp_path / "empty.txt"])
    (tmp_path / "bad.txt.gz").write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match="bad.txt.gz: cannot read text"):
        read_texts([tmp_path / "bad.txt.gz"])


def test_a_line_that_is_not_utf8_is_named_and_left_out(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_bytes(b"hello world\ncaf\xe9 au lait\n\nfine text\n")
    problems = []
    assert read_texts([tmp_path / "t.txt"], problems=problems) == ["hello world", "fine text"]
    assert problems == [f"{tmp_path / 't.txt'}:2: not UTF-8 text"]
