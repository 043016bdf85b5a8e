"""Transcription speed and memory: start-up of `asr transcribe` on one short file, and real-time factor
and peak memory on long recordings, side by side with pocketsphinx on the same files.

  .venv/bin/python scripts/bench_transcribe.py startup --model recipes/mini/exp/compare/ctc/model.pt FILE \\
      [--runs 7] [--before /tmp/asr_before]
  .venv/bin/python scripts/bench_transcribe.py long --model recipes/mini/exp/compare/ctc/model.pt \\
      --manifest recipes/mini/data/manifests/test.jsonl [--minutes 0.1667 10 60] [--repeats 2] [--no-pocketsphinx]

startup runs the `asr` command as a user would (a fresh process each time: Python start-up, imports,
model loading and decoding included) and prints each run, the fastest and the median; with --before
DIR (an older checkout, e.g. `git archive COMMIT | tar -x -C DIR`) it alternates runs of that code
and this code, so both see the same load from other jobs on the machine.

long builds recordings of the given lengths by joining a manifest's utterances (generated sentences)
with pauses of 0.5-1.0 s of quiet noise, then transcribes each in a fresh process through
`asr.load_model(...).transcribe`, reporting the real-time factor (transcription seconds per second
of audio, model loading excluded), the process's peak resident memory (os.wait4's ru_maxrss) and the
WER against the joined transcripts; then the same for pocketsphinx (its wheel's US English model,
its own voice-activity segmenter, one utterance per segment). Each figure is the best of --repeats.
pocketsphinx is in the test extra of setup.cfg (pip install -e .[test]).

Measured on 2 CPU cores shared with another engineer's training (load average 3.5-5), the mini
recipe's CTC model (recipes/mini/exp/compare/ctc) on its test sentences joined with pauses:

| input | asr RTF | asr peak MB | asr WER | pocketsphinx RTF | pocketsphinx peak MB | pocketsphinx WER |
|---|---|---|---|---|---|---|
| 10 s | 0.0753 | 650 | 25.0% | 0.2593 | 493 | 40.0% |
| 10 min | 0.0224 | 780 | 14.6% | 0.7135 | 494 | 89.4% |
| 60 min | 0.0082 | 854 | 13.6% | 0.4989 | 494 | 89.0% |

(asr best of 2, pocketsphinx best of 2 and 1 run at 60 min; the same sentences decoded one by one
score 13.3% WER.) Peak memory is set by a batch of pieces (200 s of audio), not by the length: in a
40-minute run it reached 794 MB by minute 7 and 866 MB by minute 28, and stayed there. Start-up of one
4.4 s file, 7 alternating runs each, against the code before this script's `long` mode (08226d6):
fastest 3.83 s, median 4.93 s before; 2.26 s and 3.11 s after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def startup(args: argparse.Namespace) -> None:
    asr = Path(sys.executable).parent / "asr"
    trees = {"after": None} if not args.before else {"before": args.before, "after": str(ROOT)}
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            command = [sys.executable, "-m", "asr.cli.main"] if tree else [str(asr)]
            env = {**os.environ, "PYTHONPATH": tree} if tree else None
            start = time.perf_counter()
            out = subprocess.run([*command, "transcribe", "--model", args.model, args.file], capture_output=True,
                                 text=True, check=True, env=env, cwd=tree or None).stdout
            times[name].append(time.perf_counter() - start)
            print(f"{name:6s} {times[name][-1]:.2f} s  {out.strip()}")
    for name, t in times.items():
        print(f"{name}: fastest {min(t):.2f} s, median {statistics.median(t):.2f} s over {len(t)} runs")


ASR_CHILD = """
import json, sys, time, torch
import asr
from asr.text.error_rates import error_rates
model = asr.load_model(sys.argv[1])
start = time.perf_counter()
result = model.transcribe(sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "duration": result.duration, "segments": len(result.segments),
                  "wer": error_rates([open(sys.argv[3]).read()], [result.text])["wer"]}))
"""

POCKETSPHINX_CHILD = """
import json, sys, time
import numpy as np, soundfile as sf
from pocketsphinx import Decoder, Segmenter, set_loglevel
from asr.text.error_rates import error_rates
from asr.text.normalize import normalize_text

class Int16Reader:  # what Segmenter reads: 16-bit PCM bytes, `read(n)` at a time, from the file in blocks
    def __init__(self, path):
        self.file = sf.SoundFile(path)
    def read(self, n):
        return self.file.read(n // 2, dtype="int16").tobytes()

set_loglevel("FATAL")
decoder = Decoder(samprate=16000)
start = time.perf_counter()
words = []
for segment in Segmenter(sample_rate=16000).segment(Int16Reader(sys.argv[1])):
    decoder.start_utt()
    decoder.process_raw(segment.pcm, full_utt=True)
    decoder.end_utt()
    if decoder.hyp() is not None:
        words.append(decoder.hyp().hypstr)
seconds = time.perf_counter() - start
duration = sf.info(sys.argv[1]).duration
print(json.dumps({"seconds": seconds, "duration": duration,
                  "wer": error_rates([open(sys.argv[2]).read()], [normalize_text(" ".join(words))])["wer"]}))
"""


def measure(code: str, *argv: str) -> dict:
    """Run `code` in a fresh Python; its JSON line and its peak resident memory in MB."""
    process = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, cwd=ROOT)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode})")
    return {**json.loads(out.decode().strip().splitlines()[-1]), "peak_mb": usage.ru_maxrss / 1024}


def build_recording(manifest: Path, minutes: float, out: Path) -> Path:
    """Join the manifest's utterances (in order, over again if needed) with 0.5-1.0 s pauses of quiet
    noise until `minutes`; write OUT.flac and its transcript OUT.txt. Written a file at a time."""
    import numpy as np
    import soundfile as sf

    from asr.data.audio import load_audio
    from asr.text.normalize import normalize_text

    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    rng = np.random.default_rng(0)
    target, written, words = minutes * 60 * 16000, 0, []
    with sf.SoundFile(out.with_suffix(".flac"), "w", 16000, 1, format="FLAC", subtype="PCM_16") as f:
        i = 0
        while written < target:
            row = rows[i % len(rows)]
            audio = load_audio(row["audio"], 16000).numpy()
            pause = (1e-3 * rng.standard_normal(int(rng.uniform(0.5, 1.0) * 16000))).astype(np.float32)
            f.write(np.concatenate([audio, pause]))
            written += len(audio) + len(pause)
            words.append(normalize_text(row["text"]))
            i += 1
    out.with_suffix(".txt").write_text(" ".join(words))
    return out.with_suffix(".flac")


def long(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_transcribe_") as tmp:
        print("| input | asr RTF | asr peak MB | asr WER | pocketsphinx RTF | pocketsphinx peak MB | pocketsphinx WER |")
        print("|---|---|---|---|---|---|---|")
        for minutes in args.minutes:
            flac = build_recording(Path(args.manifest), minutes, Path(tmp) / f"rec_{minutes:g}")
            text = str(flac.with_suffix(".txt"))
            ours = [measure(ASR_CHILD, args.model, str(flac), text) for _ in range(args.repeats)]
            best = min(ours, key=lambda r: r["seconds"])
            row = (f"| {best['duration'] / 60:.2f} min | {best['seconds'] / best['duration']:.4f} | "
                   f"{min(r['peak_mb'] for r in ours):.0f} | {100 * best['wer']:.1f}% |")
            if args.pocketsphinx:
                theirs = [measure(POCKETSPHINX_CHILD, str(flac), text)
                          for _ in range(1 if minutes > 20 else args.repeats)]
                ps = min(theirs, key=lambda r: r["seconds"])
                row += (f" {ps['seconds'] / ps['duration']:.4f} | {min(r['peak_mb'] for r in theirs):.0f} | "
                        f"{100 * ps['wer']:.1f}% |")
            else:
                row += " - | - | - |"
            print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("startup", help="wall time of asr transcribe on one short file")
    p.add_argument("--model", required=True)
    p.add_argument("file")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--before", metavar="DIR", help="an older checkout to alternate with")
    p = sub.add_parser("long", help="RTF and peak memory on long recordings, with pocketsphinx")
    p.add_argument("--model", required=True)
    p.add_argument("--manifest", required=True, help="utterances to join (e.g. the mini recipe's test.jsonl)")
    p.add_argument("--minutes", type=float, nargs="+", default=[10 / 60, 10, 60])
    p.add_argument("--repeats", type=int, default=2, help="runs per input; the best is reported (shared CPUs)")
    p.add_argument("--no-pocketsphinx", dest="pocketsphinx", action="store_false")
    args = parser.parse_args()
    startup(args) if args.mode == "startup" else long(args)


if __name__ == "__main__":
    main()
