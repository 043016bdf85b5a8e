"""Progress on long work: a tqdm bar on a terminal; elsewhere (a recipe's log file, CI) a plain line
every LINE_SECONDS, since a bar's carriage-return redraws fill a log with hundreds of kilobytes of
updates nobody reads."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import IO, Any

from tqdm import tqdm

LINE_SECONDS = 15.0  # how often a log gets a progress line
_CURSOR_MOVES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # how tqdm steps between nested bars on a terminal


class _Lines:
    """A stream for tqdm that turns each redraw into one whole line, when the count has moved."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.last_count = ""

    def write(self, text: str) -> None:
        line = _CURSOR_MOVES.sub("", text.replace("\r", "")).strip()
        count = line.split(" [")[0]  # "desc: 40%|####      | 2/5", without the times and rate
        if line and count != self.last_count:  # tqdm redraws a finished bar when it closes
            self.stream.write(line + "\n")
            self.last_count = count

    def flush(self) -> None:
        self.stream.flush()


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stderr
    return hasattr(stream, "isatty") and stream.isatty()


def progress(iterable: Iterable | None = None, *, total: float | None = None, desc: str = "", unit: str = "it",
             enabled: bool = True, **options: Any) -> tqdm:
    """tqdm over `iterable` (or updated by hand up to `total`), on stderr: a bar on a terminal, a line
    every LINE_SECONDS otherwise; nothing when not `enabled`."""
    if is_terminal():
        return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled, **options)
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled, file=_Lines(sys.stderr),
                mininterval=LINE_SECONDS, ascii=True, **options)
