"""Generate a synthetic spoken corpus with espeak-ng, in LibriSpeech layout.

Writes OUT/{train,dev,test,test-open,test-natural}/SPEAKER/CHAPTER/*.flac (16 kHz, 16-bit) with a
SPEAKER-CHAPTER.trans.txt per chapter, and OUT/voices.json. Sentences come from
grammatical templates over a few thousand common English words and are distinct
across train/dev/test. Train uses 30 voices; test uses 4 of them plus 2 unseen
ones; test-open holds random sequences of rarer words that never occur in the
other subsets, read by a third unseen voice; test-natural holds hand-written everyday
sentences (not from the templates) read by the test voices. --train-spelling adds training-only
random sequences of words ranked between the two, to teach more spellings. The
same --seed gives the same corpus.

Needs espeak-ng on PATH. Example:

    asr synth --out data/synth --train 3000 --dev 200 --test 300 --open-vocab 30
"""

from __future__ import annotations

import argparse
from pathlib import Path

from asr.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``asr synth``."""
    parser.add_argument("--out", type=Path, required=True, help="output directory (created if needed)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for texts and voices (default 0)")
    parser.add_argument("--train", type=int, default=3000, help="train utterances (default 3000)")
    parser.add_argument("--dev", type=int, default=200, help="dev utterances (default 200)")
    parser.add_argument("--test", type=int, default=300, help="test utterances (default 300)")
    parser.add_argument("--open-vocab", type=int, default=30,
                        help="test-open utterances of unseen words; 0 to skip (default 30)")
    parser.add_argument("--natural", type=int, default=0,
                        help="test-natural utterances: hand-written everyday sentences, at most 40 (default 0)")
    parser.add_argument("--train-spelling", type=int, default=0,
                        help="extra train utterances of random less common words (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="parallel synthesis processes (default 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Generate the corpus and print a summary."""
    for option in ("train", "dev", "test", "open_vocab", "natural", "train_spelling"):
        if getattr(args, option) < 0:
            raise UserError(f"--{option.replace('_', '-')} must be zero or more")
    # imported here: the word lists cost 0.2 s, which every other `asr` command would pay too
    from asr.data.synth.corpus import generate_corpus

    summary = generate_corpus(args.out, seed=args.seed, n_train=args.train, n_dev=args.dev,
                              n_test=args.test, n_open=args.open_vocab, n_spelling=args.train_spelling,
                              n_natural=args.natural,
                              workers=args.workers, progress=not args.quiet)
    print(format_summary(summary, args.out))
    return 0


def format_summary(summary: dict, out_dir: Path) -> str:
    """Human-readable summary: one line per subset, then words, voices and speed."""
    lines = [f"wrote {out_dir}"]
    lines.append(f"{'subset':<12} {'utts':>6} {'hours':>7} {'words':>6}  speakers")
    for name, s in summary["subsets"].items():
        speakers = " ".join(str(x) for x in s["speakers"])
        lines.append(f"{name:<12} {s['utterances']:>6} {s['hours']:>7.3f} "
                     f"{s['distinct_words']:>6}  {speakers}")
    lines.append(f"distinct words (train/dev/test): {summary['distinct_words']}")
    for speaker, v in summary["voices"].items():
        lines.append(f"voice {speaker}: {v['espeak']:<20} {v['sex']} pitch {v['pitch']} "
                     f"speed {v['speed']}  {','.join(v['subsets'])}")
    lines.append(f"took {summary['elapsed_s']:.1f} s: {summary['utterances_per_s']:.1f} utt/s, "
                 f"{summary['audio_s_per_s']:.0f} s of audio per second")
    return "\n".join(lines)
