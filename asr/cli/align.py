"""Cut a manifest's utterances into words: CTC forced alignment of their transcripts.

  asr align --model exp/mini/model.pt data/dev.jsonl --out data/dev_words.jsonl [--min-duration 0.1]

Writes one segment line per word, {"id": "<utterance id>_<NNN>", "audio", "start", "end", "word",
"speaker"} (NNN: the word's place in the transcript, from 000), which every manifest reader takes as
the word's stretch of its file. Needs a CTC or joint model over characters or words. Boundaries
between words lie in the middle of the pause between their CTC spikes, and the first and last words
reach the utterance's ends, so an utterance's words tile it. Utterances whose transcript the model
cannot spell, or whose audio is too short for it or too long for one alignment (about 20 minutes),
are skipped with one line each and counted (exit status 0: the rest is what was asked for); unreadable
audio gets one line on stderr, the others are still aligned, and the exit status is 1. The output is
written at the end, atomically.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from asr.cli.common import add_read_size_argument, readable_chunks
from asr.data.manifest import Utterance, read_manifest, write_manifest
from asr.errors import UserError
from asr.model_file import load_model_file
from asr.transcription.word_alignment import PROBLEMS, Alignment, WordAligner


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="CTC or joint model file written by asr train (model.pt)")
    parser.add_argument("manifest", help="JSON-lines manifest of utterances with transcripts (asr prepare)")
    parser.add_argument("--out", required=True, help="word segments to write (JSON lines)")
    parser.add_argument("--min-duration", type=float, default=0.0, metavar="S",
                        help="leave out words shorter than S seconds (default: keep all)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    add_read_size_argument(parser, 100)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.min_duration < math.inf:  # NaN fails this too (it passed a plain `< 0`: every word kept)
        raise UserError(f"--min-duration must be a finite number of seconds, at least 0, not {args.min_duration}")
    if not Path(args.manifest).is_file():
        raise UserError(f"manifest not found: {args.manifest}")
    aligner = WordAligner(load_model_file(args.model, args.device), args.model)
    utterances = read_manifest(args.manifest)
    if not utterances:
        raise UserError(f"manifest is empty: {args.manifest}")
    segments: list[Utterance] = []
    skipped: Counter[str] = Counter()
    unreadable = short = 0
    for chunk, waves, missing in readable_chunks(utterances, aligner.sample_rate, args.read_size, "aligning",
                                                 min_samples=aligner.loaded.features.cfg.win_length):
        unreadable += missing
        for utt, alignment in zip(chunk, aligner(waves, [u.text for u in chunk])):
            if alignment.problem:
                tqdm.write(f"asr: skipped {utt.id}: {_reason(alignment)}", file=sys.stderr)
                skipped[alignment.problem] += 1
                continue
            words = _segments(utt, alignment)
            kept = [w for w in words if w.duration >= args.min_duration]
            short += len(words) - len(kept)
            segments += kept
    write_manifest(args.out, segments)
    print(_summary(len(utterances), skipped, unreadable, short, args.min_duration, segments, args.out))
    return 1 if unreadable else 0


def _segments(utt: Utterance, alignment: Alignment) -> list[Utterance]:
    """An utterance's words as segment lines of its audio file (times from the file's start)."""
    segments = []
    for index, w in enumerate(alignment.words):
        start, end = round(utt.start + w.start, 4), round(utt.start + w.end, 4)  # 0.1 ms: finer than a sample at 8 kHz
        segments.append(Utterance(id=f"{utt.id}_{index:03d}", audio=utt.audio, duration=round(end - start, 4),
                                  text=w.word, speaker=utt.speaker, start=start, end=end))
    return segments


def _reason(alignment: Alignment) -> str:
    return PROBLEMS[alignment.problem] + (f" ({alignment.detail})" if alignment.detail else "")


def _summary(total: int, skipped: Counter[str], unreadable: int, short: int, min_duration: float,
             segments: list[Utterance], out: str) -> str:
    aligned = total - sum(skipped.values()) - unreadable
    text = f"aligned {aligned} of {total} utterances"
    problems = [f"{n} with {PROBLEMS[key]}" for key, n in skipped.items()]
    problems += [f"{unreadable} unreadable"] if unreadable else []
    text += f" (skipped {', '.join(problems)})" if problems else ""
    mean = sum(s.duration for s in segments) / len(segments) if segments else 0.0
    text += f"; wrote {len(segments)} word segments to {out}, mean word duration {mean:.3f} s"
    if short:
        text += f"; {short} word{'' if short == 1 else 's'} shorter than {min_duration:g} s left out"
    return text
