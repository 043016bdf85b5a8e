"""A work folder's lock: a second holder is refused in one line naming the first, and a holder that
dies (even by SIGKILL) frees the folder."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from asr.errors import UserError
from asr.utils.folder_lock import locked_folder

HOLD = "import sys, time; from pathlib import Path; from asr.utils.folder_lock import locked_folder\n" \
       "with locked_folder(Path(sys.argv[1]), 'a test holder'):\n    print('held', flush=True); time.sleep(600)"


def test_a_folder_held_by_a_live_process_is_refused_and_freed_when_it_is_killed(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "exp")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(UserError) as refused, locked_folder(tmp_path / "exp", "asr train"):
            pass
        assert str(refused.value).startswith(f"{tmp_path / 'exp'} is in use by a test holder (pid {holder.pid} on ")
        assert str(refused.value).endswith(": wait for it to end, or use another --out")
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with locked_folder(tmp_path / "exp", "asr train"):  # a crashed holder leaves nothing stuck
        assert f"pid {os.getpid()} " in (tmp_path / "exp" / ".lock").read_text()


def test_the_lock_is_released_when_the_block_ends_or_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError), locked_folder(tmp_path, "asr train"):
        raise ValueError
    with locked_folder(tmp_path, "asr train"):
        pass
