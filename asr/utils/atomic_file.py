"""Files replaced whole: a reader, or a later stage after a crash, sees the old file or the new one,
never half of one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def replaced_whole(path: str | Path, mode: str = "w", fsync: bool = False) -> Iterator[IO]:
    """Open a file beside `path` for writing; a clean exit renames it over `path`, an error removes it.

    The file is written in the same folder (a rename across filesystems would be a copy a kill can
    cut short) under a hidden name that holds the process id, so two processes never share one.
    fsync: flush it to the disk before the rename (for files worth a crash's safety: model files).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
