"""Sentences for tokenizers and language models: from plain text files (one a line, optionally
gzipped, like LibriSpeech's 800-million-word LM text) and JSON-lines manifests (their "text")."""

from __future__ import annotations

import gzip
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from asr.data.manifest import read_manifest
from asr.errors import UserError
from asr.text.normalize import normalize_text


def _lines(path: Path, problems: list[str]) -> Iterator[str]:
    """The file's lines; one that is not UTF-8 is left out and named in `problems` ("file:line: ...")."""
    if path.suffix == ".jsonl":
        yield from (u.text for u in read_manifest(path))
        return
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError:
                    problems.append(f"{path}:{number}: not UTF-8 text")
    except (OSError, EOFError) as err:  # not gzip, truncated, unreadable
        raise UserError(f"{path}: cannot read text ({err})") from None


def read_texts(paths: Sequence[str | Path], max_sentences: int = 0, seed: int = 0,
               problems: list[str] | None = None) -> list[str]:
    """Normalised, non-empty sentences of every file, in order; with `max_sentences` > 0, a uniform random
    sample of that many (reservoir sampling, so a corpus larger than memory is read once, line by line).
    Lines that are not UTF-8 are left out and named in `problems`."""
    texts: list[str] = []
    rng, seen = random.Random(seed), 0
    problems = [] if problems is None else problems
    for path in map(Path, paths):
        if not path.is_file():
            raise UserError(f"text file not found: {path}")
        for line in _lines(path, problems):
            text = normalize_text(line)
            if not text:
                continue
            seen += 1
            if not max_sentences or len(texts) < max_sentences:
                texts.append(text)
            elif (k := rng.randrange(seen)) < max_sentences:
                texts[k] = text
    if not texts:
        raise UserError("no text in " + ", ".join(map(str, paths)))
    return texts


def report_left_out(problems: list[str], what: str, shown: int = 5) -> None:
    """One stderr line per problem (the first `shown` of them), then how many more."""
    for problem in problems[:shown]:
        print(f"asr: error: {problem}; left out", file=sys.stderr)
    if len(problems) > shown:
        print(f"asr: error: {len(problems) - shown} more lines of {what} left out", file=sys.stderr)
