"""Turn a corpus on disk into JSON-lines manifests, one utterance per line.

  asr prepare librispeech ROOT --out OUT [--download SUBSET ...] [--subsets SUBSET ...]
      Writes OUT/SUBSET.jsonl for each LibriSpeech subset under ROOT (a folder of subsets, or
      one holding LibriSpeech/). --download first fetches subsets from OpenSLR into ROOT,
      e.g. --download dev-clean-2 train-clean-5 (Mini LibriSpeech) or dev-clean test-clean.

  asr prepare folder DIR --out FILE.jsonl
      Pairs every x.wav/.flac/.mp3/.ogg/.opus (.m4a/.webm/... with ffmpeg) under DIR with its x.txt.

  asr prepare fsdd DIR --out OUT [--test-speakers theo] [--test-takes 0-4] [--dev-takes 5-9]
      Free Spoken Digit Dataset: writes OUT/all.jsonl, train.jsonl, and test_takes.jsonl (takes
      0-4 of the training speakers, FSDD's test set); test_speaker.jsonl with every take of
      the held-out speakers, and dev.jsonl with held-out takes for validation, when asked.

Every audio file is decoded, so that one cut short, damaged or holding NaN samples is found here
rather than in training (about 5000x real time a core; --headers-only reads just the headers).
Transcripts without audio, audio without a transcript and unreadable files are counted and
shown with examples; they are left out, the manifests are written with the rest, and the exit
status is 1 so that a script notices. Transcripts that normalise to nothing or lose most of their
letters (another script than Latin: Chinese, Hebrew, Cyrillic) are counted and shown too, but kept:
the manifest records the corpus as it is, and train and evaluate leave them out, saying so again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asr.data.folder import prepare_folder
from asr.data.fsdd import FsddSplit, prepare_fsdd_splits
from asr.data.librispeech import download_librispeech, prepare_librispeech
from asr.data.manifest import PrepareReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the corpus sub-commands (librispeech, folder, fsdd) to ``asr prepare``."""
    corpora = parser.add_subparsers(dest="corpus", metavar="CORPUS", required=True)

    libri = corpora.add_parser(
        "librispeech", help="LibriSpeech (or Mini LibriSpeech) tree",
        description="Write OUT/SUBSET.jsonl for every LibriSpeech subset under ROOT, "
                    "after downloading any --download subsets into ROOT.")
    libri.add_argument("root", type=Path, metavar="ROOT",
                       help="folder of subsets, or one that holds LibriSpeech/")
    libri.add_argument("--out", type=Path, required=True, metavar="OUT",
                       help="where to write SUBSET.jsonl")
    libri.add_argument("--download", nargs="+", action="extend", default=[], metavar="SUBSET",
                       help="download and extract these subsets into ROOT first")
    libri.add_argument("--base-url", metavar="URL",
                       help="where SUBSET.tar.gz lives (default: the OpenSLR resource)")
    libri.add_argument("--subsets", nargs="+", action="extend", default=[], metavar="SUBSET",
                       help="prepare only these subsets (default: every subset found)")
    _add_headers_only(libri)
    libri.set_defaults(_prepare=_librispeech)

    folder = corpora.add_parser(
        "folder", help="your own recordings: x.wav beside x.txt",
        description="Pair every x.wav/.flac/.mp3/.ogg/.opus (.m4a/.webm/... with ffmpeg) under DIR with x.txt; "
                    "the id is the relative path (a/b/x -> a-b-x), the speaker the folder holding the file.")
    folder.add_argument("folder", type=Path, metavar="DIR")
    folder.add_argument("--out", type=Path, required=True, metavar="FILE.jsonl",
                        help="the manifest to write")
    _add_headers_only(folder)
    folder.set_defaults(_prepare=_folder)

    fsdd = corpora.add_parser(
        "fsdd", help="Free Spoken Digit Dataset, with its splits",
        description="Write OUT/all.jsonl and the split manifests train, test_takes, and "
                    "(when asked) test_speaker and dev. The fsdd recipe uses "
                    "--test-speakers theo --test-takes 0-4 --dev-takes 5-9.")
    fsdd.add_argument("folder", type=Path, metavar="DIR",
                      help="the recordings folder, or the one that holds recordings/")
    fsdd.add_argument("--out", type=Path, required=True, metavar="OUT",
                      help="where to write all.jsonl and the split manifests")
    fsdd.add_argument("--test-speakers", type=_names, default=(), metavar="NAME[,NAME]",
                      help="speakers held out entirely -> test_speaker.jsonl (default: none)")
    fsdd.add_argument("--test-takes", type=_takes, default=(0, 1, 2, 3, 4), metavar="TAKES",
                      help="takes of the other speakers held out -> test_takes.jsonl "
                           "(default: 0-4, FSDD's convention; 'none' for no such split)")
    fsdd.add_argument("--dev-takes", type=_takes, default=(), metavar="TAKES",
                      help="takes of the other speakers held out -> dev.jsonl, e.g. 5-9 "
                           "(default: none)")
    _add_headers_only(fsdd)
    fsdd.set_defaults(_prepare=_fsdd)


def run(args: argparse.Namespace) -> int:
    """Prepare the corpus and print one summary paragraph per manifest written; exit status 1 when
    anything was skipped (the manifests hold the rest)."""
    reports: list[PrepareReport] = args._prepare(args)
    for report in reports:
        for reason in report.unreadable_files:
            print(f"asr: error: {reason}; left out", file=sys.stderr)
        print(report.summary())
    return 1 if any(report.problems for report in reports) else 0


def _add_headers_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headers-only", dest="decode_audio", action="store_false",
                        help="read each audio file's header only, not its samples: fast, but a file "
                             "damaged past its header is found only in training, which leaves it out")


def _librispeech(args: argparse.Namespace) -> list[PrepareReport]:
    for subset in args.download:
        download_librispeech(subset, args.root, base_url=args.base_url)
    return list(prepare_librispeech(args.root, args.out, args.subsets or None, args.decode_audio).values())


def _folder(args: argparse.Namespace) -> list[PrepareReport]:
    return [prepare_folder(args.folder, args.out, args.decode_audio)]


def _fsdd(args: argparse.Namespace) -> list[PrepareReport]:
    split = FsddSplit(test_speakers=args.test_speakers, test_takes=args.test_takes,
                      dev_takes=args.dev_takes)
    return list(prepare_fsdd_splits(args.folder, args.out, split, args.decode_audio).values())


def _names(text: str) -> tuple[str, ...]:
    """'theo,jackson' -> ('theo', 'jackson')."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _takes(text: str) -> tuple[int, ...]:
    """The takes of ``--test-takes`` and ``--dev-takes``: ranges and single takes, or none.

    >>> _takes("0-4,10"), _takes("none")
    ((0, 1, 2, 3, 4, 10), ())
    """
    if text.strip().lower() in ("", "none"):
        return ()
    takes: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected takes like 0-4 or 0,2,5, got {text!r}") \
                from None
        if first < 0 or last < first:
            raise argparse.ArgumentTypeError(f"bad take range {part.strip()!r}")
        takes.update(range(first, last + 1))
    return tuple(sorted(takes))
