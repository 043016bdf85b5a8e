"""Wall time of `asr transcribe` on one short file, from the command to the transcript.

  .venv/bin/python scripts/bench_transcribe.py --model recipes/mini/exp/mini/model.pt FILE [--runs 5]

Runs the installed `asr` command as a user would (a fresh process each time, so Python start-up,
imports and model loading are included) and prints each run and the median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asr = Path(sys.executable).parent / "asr"
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        out = subprocess.run([str(asr), "transcribe", "--model", args.model, args.file],
                             capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - start)
        print(f"{times[-1]:.2f} s  {out.strip()}")
    print(f"median {statistics.median(times):.2f} s over {args.runs} runs")


if __name__ == "__main__":
    main()
