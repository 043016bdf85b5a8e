"""Files replaced whole: a reader, or a later stage after a crash, sees the old file or the new one,
never half of one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

PARTIAL_SUFFIX = ".partial"  # a file being written; left behind only by a kill


@contextlib.contextmanager
def replaced_whole(path: str | Path, mode: str = "w", fsync: bool = False) -> Iterator[IO]:
    """Open a file beside `path` for writing; a clean exit renames it over `path`, an error removes it.

    The file is written in the same folder (a rename across filesystems would be a copy a kill can
    cut short) under a hidden name that holds the process id, so two processes never share one.
    fsync: flush it to the disk before the rename (for files worth a crash's safety: model files).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        with open(partial, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException as err:
        partial.unlink(missing_ok=True)
        disk_error = _os_error_behind(err)
        if disk_error is not None and (disk_error is not err or not err.filename):
            # the file that could not be written, not how the library took it (or the partial's name)
            raise OSError(disk_error.errno, disk_error.strerror, str(path)) from None
        raise


def _os_error_behind(err: BaseException) -> OSError | None:
    """The OSError (a full disk, a quota, an I/O error) an exception was raised while handling, if any:
    torch.save turns a failed write into a RuntimeError about zip positions."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
