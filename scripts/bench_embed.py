"""`asr embed` as a user runs it: the command's own embedding time and its wall time, on a quiet
machine and beside a program that keeps one core busy.

  .venv/bin/python scripts/bench_embed.py --model exp/cae/model.pt --manifest segments.jsonl [--runs 3]

Each run is a fresh process (`asr embed --model M --manifest S --out TMP`), so what it pays at its
start (imports, loading, first batches) is in the figures. Three settings, --runs each: quiet with
the command's default threads; one core busy (a spinning process pinned to the first core) with the
default; the same with --threads set to every core, which is what torch alone would use. Prints each
run's 'embedded in' figure and wall time, then the median and range of each setting.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ASR = Path(sys.executable).with_name("asr")
SPIN = "import time\nwhile True: pass"


def one_run(model: str, manifest: str, extra: list[str]) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        done = subprocess.run([str(ASR), "embed", "--model", model, "--manifest", manifest, "--out", f"{tmp}/v",
                               *extra], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - began
    line = done.stdout.strip().splitlines()[-1]
    embedded = float(re.search(r"embedded in ([0-9.]+) s", line).group(1))
    threads = re.search(r"on (\d+) CPU thread", line)
    return embedded, wall, threads.group(1) if threads else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="an sa, dsa or cae model file")
    parser.add_argument("--manifest", required=True, help="the segments to embed")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    settings = [("quiet, default threads", [], False), ("one core busy, default threads", [], True),
                (f"one core busy, --threads {cores}", ["--threads", str(cores)], True)]
    print(f"asr embed of {args.manifest} with {args.model}, {cores} cores, {args.runs} runs a setting")
    for name, extra, busy in settings:
        spinner = None
        if busy:
            first = {sorted(os.sched_getaffinity(0))[0]}
            spinner = subprocess.Popen([sys.executable, "-c", SPIN],
                                       preexec_fn=lambda cpu=first: os.sched_setaffinity(0, cpu))
            time.sleep(0.5)
        try:
            runs = [one_run(args.model, args.manifest, extra) for _ in range(args.runs)]
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
        for embedded, wall, threads in runs:
            print(f"  {name}: embedded in {embedded:.2f} s on {threads} threads, command {wall:.2f} s")
        embedded, wall = [r[0] for r in runs], [r[1] for r in runs]
        print(f"{name}: embedding median {statistics.median(embedded):.2f} s ({min(embedded):.2f}-{max(embedded):.2f}),"
              f" command median {statistics.median(wall):.2f} s ({min(wall):.2f}-{max(wall):.2f})")


if __name__ == "__main__":
    main()
