"""How many CPU threads a command should compute on: the cores that are idle now.

Torch (OpenMP) and numba split each operation evenly over their threads and wait for the last:
with one of two cores busy with another program, two threads run a small model's batches 3-4
times slower than one (`asr embed` of 1000 FSDD words on 2 cores: 1.9-2.6 s against 0.63 s alone
and 1.17 s on one thread). So inference commands count the cores idle at their start.
"""

from __future__ import annotations

import os

import psutil
import torch

BUSY_PERCENT = 50.0  # a core busier than this, over the sample, is taken by other work
SAMPLE_SECONDS = 0.05


def idle_cores(sample_seconds: float = SAMPLE_SECONDS) -> int:
    """Physical cores this process may use, less those that were more than half busy over the next
    `sample_seconds` (at least 1)."""
    usage = psutil.cpu_percent(interval=sample_seconds, percpu=True)
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(len(usage)))
    busy = sum(1 for cpu in allowed if cpu < len(usage) and usage[cpu] > BUSY_PERCENT)
    physical = min(len(allowed), psutil.cpu_count(logical=False) or len(allowed))  # torch's default
    return max(1, physical - busy)


def inference_threads(requested: int | None = None) -> int:
    """Threads for an inference command, which torch is set to use: `requested`, else OMP_NUM_THREADS
    when the user set it, else the idle cores (`idle_cores`)."""
    if requested is None and not os.environ.get("OMP_NUM_THREADS"):
        requested = idle_cores()
    if requested is not None:
        torch.set_num_threads(requested)
    return torch.get_num_threads()
