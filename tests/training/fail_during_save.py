"""`asr train` (its arguments follow) stopped halfway through writing the bytes of the Nth file it opens
for writing whose name holds $KILL_WRITING (default ".ckpt"; N = $KILL_AT_CHECKPOINT): killed with SIGKILL,
as a crash or an out-of-memory kill would, or with FAIL_HOW=full the write fails as on a full disk (the
process goes on). Run by test_resume.py."""

import builtins
import errno
import os
import signal
import sys

from asr.cli.main import main

real_open = builtins.open
kill_at = int(os.environ["KILL_AT_CHECKPOINT"])
pattern = os.environ.get("KILL_WRITING", ".ckpt")
disk_full = os.environ.get("FAIL_HOW") == "full"
opened = 0


class HalfThenKill:
    """A file whose first write stores half its bytes, reaches the disk, and ends the process (or fails)."""

    def __init__(self, f):
        self.f = f

    def write(self, data) -> int:
        self.f.write(bytes(data)[: len(data) // 2])
        self.f.flush()
        os.fsync(self.f.fileno())
        if disk_full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.f.__exit__(*exc)


def open_checkpoint_writes(file, mode="r", *args, **kwargs):
    global opened
    f = real_open(file, mode, *args, **kwargs)
    if "w" in mode and isinstance(file, (str, os.PathLike)) and pattern in os.fspath(file):
        opened += 1
        if opened == kill_at:
            return HalfThenKill(f)
    return f


builtins.open = open_checkpoint_writes
sys.exit(main(sys.argv[1:]))
