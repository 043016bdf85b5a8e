"""Free Spoken Digit Dataset (FSDD): ``recordings/{digit}_{speaker}_{take}.wav``, 8 kHz.

Each file is one digit spoken as a word ("zero" ... "nine"). The dataset's own convention
holds out takes 0-4 of every speaker as the test set; a held-out speaker tests generalisation
to an unseen voice. :func:`split_fsdd` makes both kinds of split, and a dev split for
validation, from one list of utterances.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from asr.data.manifest import PrepareReport, Utterance, write_manifest
from asr.errors import UserError

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# "7_theo_42": digit, speaker, take.
_NAME = re.compile(r"(?P<digit>\d)_(?P<speaker>.+)_(?P<take>\d+)")


def read_fsdd(folder: Path, decode_audio: bool = True) -> tuple[list[Utterance], PrepareReport]:
    """Every recording of an FSDD folder (the ``recordings`` folder itself, or its parent).

    Returns:
        the utterances sorted by id (the file stem, "7_theo_42"), and a report of the files
        skipped: names that do not follow the pattern, and unreadable audio.
    """
    recordings = _recordings_folder(Path(folder))
    report = PrepareReport(name="fsdd", decode_audio=decode_audio)
    utterances = []
    for path in sorted(recordings.iterdir()):
        if path.suffix.lower() != ".wav" or path.name.startswith("."):
            continue  # README, .DS_Store, ...: not recordings, not problems
        match = _NAME.fullmatch(path.stem)
        if match is None:
            report.add_problem("bad_name", str(path))
            continue
        duration = report.duration_or_problem(path)
        if duration is None:
            continue
        utterances.append(Utterance(id=path.stem, audio=str(path.absolute()), duration=duration,
                                    text=DIGIT_WORDS[int(match["digit"])],
                                    speaker=match["speaker"]))
    return utterances, report


def _recordings_folder(folder: Path) -> Path:
    """FSDD's repository keeps the wavs in ``recordings/``; accept either folder."""
    if (folder / "recordings").is_dir():
        return folder / "recordings"
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    return folder


def prepare_fsdd(folder: Path, out_path: Path, decode_audio: bool = True) -> PrepareReport:
    """Write one manifest with every recording of an FSDD folder."""
    utterances, report = read_fsdd(folder, decode_audio)
    write_manifest(out_path, utterances)
    report.add_written(out_path, utterances)
    return report


@dataclass(frozen=True)
class FsddSplit:
    """Which recordings are held out; everything else is ``train``.

    - ``test_speaker``: every take of ``test_speakers`` (an unseen voice).
    - ``test_takes``: takes ``test_takes`` of the other speakers (FSDD's own test set: 0-4).
    - ``dev``: takes ``dev_takes`` of the other speakers, for validation while training.
    An empty tuple means no such split.
    """

    test_speakers: tuple[str, ...] = ()
    test_takes: tuple[int, ...] = (0, 1, 2, 3, 4)
    dev_takes: tuple[int, ...] = ()


def take_number(utt: Utterance) -> int:
    """The take of an FSDD utterance, from its id.

    >>> take_number(Utterance("7_theo_42", "/x.wav", 0.4, "seven", "theo"))
    42
    """
    match = _NAME.fullmatch(utt.id)
    if match is None:
        raise ValueError(f"not an FSDD utterance id: {utt.id!r}")
    return int(match["take"])


def split_fsdd(utterances: Iterable[Utterance], split: FsddSplit) -> dict[str, list[Utterance]]:
    """Divide FSDD utterances into disjoint splits: split name -> its utterances.

    Always ``train``; ``test_speaker``, ``test_takes`` and ``dev`` when ``split`` asks for them.

    Raises:
        UserError: an unknown test speaker, takes in both test and dev, or nothing left to train on.
    """
    utterances = list(utterances)
    speakers = sorted({u.speaker for u in utterances})
    unknown = [s for s in split.test_speakers if s not in speakers]
    if unknown:
        raise UserError(f"no FSDD speaker {', '.join(unknown)} (speakers: {', '.join(speakers)})")
    both = sorted(set(split.test_takes) & set(split.dev_takes))
    if both:
        raise UserError(f"takes {', '.join(map(str, both))} are in both the test and dev splits")
    splits: dict[str, list[Utterance]] = {"train": []}
    if split.dev_takes:
        splits["dev"] = []
    if split.test_takes:
        splits["test_takes"] = []
    if split.test_speakers:
        splits["test_speaker"] = []
    for utt in utterances:
        take = take_number(utt)
        if utt.speaker in split.test_speakers:
            splits["test_speaker"].append(utt)
        elif take in split.test_takes:
            splits["test_takes"].append(utt)
        elif take in split.dev_takes:
            splits["dev"].append(utt)
        else:
            splits["train"].append(utt)
    if not splits["train"]:
        raise UserError("the FSDD split leaves no recordings to train on")
    return splits


def prepare_fsdd_splits(folder: Path, out_dir: Path, split: FsddSplit,
                        decode_audio: bool = True) -> dict[str, PrepareReport]:
    """Write ``out_dir/all.jsonl`` and one ``out_dir/SPLIT.jsonl`` per split of :func:`split_fsdd`.

    Returns:
        "all" (with the skipped files) and each split name -> its report.
    """
    out_dir = Path(out_dir)
    utterances, report = read_fsdd(folder, decode_audio)
    reports = {"all": report}
    parts = split_fsdd(utterances, split)  # before writing, so a bad split writes nothing
    write_manifest(out_dir / "all.jsonl", utterances)
    report.add_written(out_dir / "all.jsonl", utterances)
    for name, part in parts.items():
        reports[name] = PrepareReport(name=name)
        write_manifest(out_dir / f"{name}.jsonl", part)
        reports[name].add_written(out_dir / f"{name}.jsonl", part)
    return reports
