"""Latency, speed and memory of streaming transcription, as a live source would feed it.

    .venv/bin/python scripts/bench_stream.py --model recipes/mini/exp/stream/model.pt \
        --reference recipes/mini/exp/mini/model.pt --manifest recipes/mini/data/manifests/test.jsonl --minutes 3

The manifest's recordings are played one after another (0.5 s of faint noise between them) into one
stream, paced at real time in blocks of 0.1 s (`--fast`: as fast as it decodes, for RTF and memory only).
A word's end in the audio comes from the forced alignment of its reference transcript with
`--reference` (a model of the same corpus, e.g. the full BiLSTM); the latency of a word is the wall time
from then until the stream first shows it as stable (a final's word, or a partial's stable one), over the
words the stream got right (aligned with difflib). Prints median and 95th percentile latency, the real-time
factor (decoding time / audio time), the process's resident memory each minute of audio, and the WER.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asr  # noqa: E402
from asr.data.audio import load_audio  # noqa: E402
from asr.data.manifest import read_manifest  # noqa: E402
from asr.text.error_rates import error_rates  # noqa: E402
from asr.text.normalize import normalize_text  # noqa: E402
from asr.transcription.word_alignment import WordAligner  # noqa: E402

GAP_SECONDS = 0.5
BLOCK_SECONDS = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a streaming model file")
    parser.add_argument("--reference", required=True, help="a model that aligns the reference transcripts")
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--minutes", type=float, default=3.0, help="stream length (recordings taken in order)")
    parser.add_argument("--fast", action="store_true", help="no pacing: measure RTF and memory only")
    parser.add_argument("--decode", default="greedy", choices=["greedy", "beam"])
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = asr.load_model(args.model)
    rate = model.sample_rate
    audio, references, ends = build_stream(args, rate)
    print(f"stream: {len(audio) / rate / 60:.1f} min of audio, {len(references)} words, "
          f"{'paced at real time' if not args.fast else 'unpaced'}, {args.threads} threads, {args.decode}", flush=True)

    process = psutil.Process(os.getpid())
    block = round(BLOCK_SECONDS * rate)
    stable_at: list[float] = []  # wall time (s from the stream's start) at which stable word k first showed
    finals: list[str] = []
    memory: list[float] = []
    options = {"decode": args.decode, "beam": args.beam} if args.decode == "beam" else {}

    def blocks():
        start = time.monotonic()
        for i in range(0, len(audio), block):
            if not args.fast:
                time.sleep(max(0.0, start + i / rate - time.monotonic()))
            if i % (60 * rate) < block:
                memory.append(process.memory_info().rss / 2**20)
            yield audio[i:i + block]

    t0 = time.monotonic()
    for event in model.stream(blocks(), sample_rate=rate, **options):
        now = time.monotonic()
        words = len(finals) + len((event.stable if event.kind == "partial" else "").split())
        if event.kind == "final":
            finals += event.text.split()
            words = len(finals)
        while len(stable_at) < words:
            stable_at.append(now - t0)
    wall = time.monotonic() - t0
    hypothesis = finals
    latencies = []
    matcher = difflib.SequenceMatcher(a=references, b=hypothesis, autojunk=False)
    for block_match in matcher.get_matching_blocks():
        for k in range(block_match.size):
            ref, hyp = block_match.a + k, block_match.b + k
            if hyp < len(stable_at):
                latencies.append(stable_at[hyp] - ends[ref])
    wer = error_rates([" ".join(references)], [" ".join(hypothesis)])["wer"]
    duration = len(audio) / rate
    lat = np.array(latencies)
    print(f"words right: {len(lat)} of {len(references)}; WER {100 * wer:.2f}%")
    if len(lat):
        print(f"latency from a word's end to its stable emission: median {np.median(lat):.3f} s, "
              f"95th percentile {np.percentile(lat, 95):.3f} s, min {lat.min():.3f}, max {lat.max():.3f}")
    if args.fast:
        print(f"RTF {wall / duration:.4f} ({wall:.1f} s for {duration:.0f} s)")
    else:
        print(f"wall {wall:.1f} s for {duration:.1f} s of audio")
    print("resident memory each minute of audio (MiB): " + " ".join(f"{m:.0f}" for m in memory))


def build_stream(args: argparse.Namespace, rate: int) -> tuple[np.ndarray, list[str], list[float]]:
    """The recordings one after another, their reference words and each word's end (s) in the stream."""
    aligner = WordAligner(asr.load_model(args.reference).loaded, "the reference model")
    noise = np.random.default_rng(0).normal(0, 3e-4, round(GAP_SECONDS * rate)).astype(np.float32)
    pieces, words, ends, at = [], [], [], 0.0
    for utt in read_manifest(args.manifest):
        if at >= args.minutes * 60:
            break
        wave = load_audio(utt.audio, rate)
        alignment = aligner([wave], [utt.text])[0]
        if alignment.problem:
            continue
        words += normalize_text(utt.text).split()
        ends += [at + w.end for w in alignment.words]
        pieces += [wave.numpy(), noise]
        at += (len(wave) + len(noise)) / rate
    assert len(words) == len(ends)
    return np.concatenate(pieces), words, ends


if __name__ == "__main__":
    main()
