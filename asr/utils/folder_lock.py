"""One run at a time in a work folder: a second run into it refuses in one line naming the first.

Two trainings into one folder mix their checkpoints (each resumes from the other's) and one dies on a
file the other renamed. The lock is an advisory `flock` on `FOLDER/.lock`: the operating system
releases it when its process ends, however it ends, so a crashed run never leaves the folder locked.
The file itself stays, naming the last run that held it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from asr.errors import UserError

LOCK_NAME = ".lock"


@contextlib.contextmanager
def locked_folder(folder: Path, command: str) -> Iterator[None]:
    """Hold `folder`'s lock while the block runs; UserError at once if another process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
            raise UserError(f"{folder} is in use by {holder}: wait for it to end, or use another --out") from None
        os.ftruncate(fd, 0)
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(fd, f"{command} (pid {os.getpid()} on {socket.gethostname()}, started {started})\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock

