"""Inference commands compute on the cores that are idle: a core spinning for another program is left out."""

import os
import subprocess
import sys

import psutil
import pytest
import torch

from asr.utils.cpu_threads import idle_cores, inference_threads


def _physical() -> int:
    return min(len(os.sched_getaffinity(0)), psutil.cpu_count(logical=False) or 1)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_a_core_busy_with_another_program_is_not_counted() -> None:
    if _physical() < 2:
        pytest.skip("needs two cores")
    quiet = idle_cores(0.2)
    cpu = sorted(os.sched_getaffinity(0))[0]
    spin = "import time\nend = time.time() + 5\nwhile time.time() < end: pass"
    spinner = subprocess.Popen([sys.executable, "-c", spin], preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    try:
        busy = idle_cores(0.3)
    finally:
        spinner.kill()
        spinner.wait()
    assert busy <= quiet - 1 or (busy == 1 and quiet == 1), (quiet, busy)
    assert 1 <= busy < _physical()


def test_threads_asked_for_or_set_by_the_user_are_used(monkeypatch) -> None:
    before = torch.get_num_threads()
    try:
        assert inference_threads(3) == 3 == torch.get_num_threads()
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(2)
        assert inference_threads() == 2  # the user's OMP_NUM_THREADS: torch's own choice stands
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert 1 <= inference_threads() <= _physical()
    finally:
        torch.set_num_threads(before)
