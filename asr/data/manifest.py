"""Manifests: one JSON object per line, one line per utterance.

A manifest is the only thing the rest of ``asr`` needs to know about a corpus::

    {"id": "1272-128104-0000", "audio": "/data/LibriSpeech/dev-clean/1272/128104/1272-128104-0000.flac",
     "duration": 5.855, "text": "MISTER QUILTER IS THE APOSTLE ...", "speaker": "1272"}

A line may also name a segment of its file (a spoken word cut by ``asr align``)::

    {"id": "1272-128104-0000_003", "audio": ".../1272-128104-0000.flac", "start": 1.24, "end": 1.71,
     "word": "QUILTER", "speaker": "1272"}

Readers take the segment's samples only; its duration is end - start and its text the word.

The corpus readers (``librispeech``, ``folder``, ``fsdd``) write manifests and describe what they
could not use in a :class:`PrepareReport`: problems are counted and shown, never silently dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asr.data.audio import audio_info, verify_audio
from asr.errors import UserError
from asr.text.normalize import NORMALISER_KEEPS, lost_in_normalisation
from asr.utils.atomic_file import replaced_whole

FIELDS = ("id", "audio", "duration", "text", "speaker")
SEGMENT_FIELDS = ("id", "audio", "start", "end", "word", "speaker")
KNOWN_FIELDS = set(FIELDS) | set(SEGMENT_FIELDS)


@dataclass(frozen=True)
class Utterance:
    """One line of a manifest."""

    id: str  # unique within the manifest, e.g. "1272-128104-0000"
    audio: str  # absolute path of the audio file
    duration: float  # seconds, from the file header
    text: str  # the transcript as the corpus wrote it (normalised later); a segment's word
    speaker: str
    start: float = 0.0  # seconds into the file where the utterance starts (segments)
    end: float | None = None  # seconds where it ends; None: the end of the file

    @property
    def is_segment(self) -> bool:
        return self.end is not None

    def to_json(self) -> dict:
        """The manifest line: the utterance fields, or for a segment the segment fields."""
        if not self.is_segment:
            return {k: getattr(self, k) for k in FIELDS}
        return {"id": self.id, "audio": self.audio, "start": self.start, "end": self.end, "word": self.text,
                "speaker": self.speaker}


def write_manifest(path: str | Path, utterances: Iterable[Utterance]) -> None:
    """Write utterances as JSON lines, atomically.

    The file is written beside its destination and renamed into place, so a crash or Ctrl-C
    never leaves a half-written manifest that a later stage would read as complete.
    """
    with replaced_whole(path) as f:
        for utt in utterances:
            f.write(json.dumps(utt.to_json(), ensure_ascii=False) + "\n")


def read_json_lines(path: str | Path, what: str = "manifest") -> list[tuple[str, dict]]:
    """The JSON objects of a JSON-lines file, each with "file:line" for messages; blank lines skipped.

    Raises:
        UserError: the file is missing or unreadable, or a line is not a JSON object (names ``file:line``).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: cannot read {what} ({err})") from None
    objects = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"{where}: not valid JSON ({err.msg})") from None
        if not isinstance(obj, dict):
            raise UserError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        objects.append((where, obj))
    return objects


def read_manifest(path: str | Path) -> list[Utterance]:
    """Read a manifest written by :func:`write_manifest` (or by hand).

    A relative ``audio`` path is taken relative to the manifest's folder, so a corpus and its
    manifests can be moved together.

    Raises:
        UserError: the file is missing, or a line is not a valid utterance (names ``file:line``).
    """
    utterances, line_of = [], {}
    for where, obj in read_json_lines(path):
        utt = _parse_object(obj, where, Path(path).parent)
        if utt.id in line_of:  # ids key hypotheses, vectors and segments: two would be mixed up
            raise UserError(f"{where}: utterance id {utt.id!r} is already on line {line_of[utt.id]}")
        line_of[utt.id] = where.rsplit(":", 1)[1]
        utterances.append(utt)
    return utterances


def split_lost(utterances: Iterable[Utterance]) -> tuple[list[Utterance], list[Utterance]]:
    """(utterances whose transcript survives normalisation, those whose transcript is lost in it), in their order.

    Lost is decided by `asr.text.normalize.lost_in_normalisation`, for prepare, train and evaluate alike.
    """
    kept, lost = [], []
    for utt in utterances:
        (lost if lost_in_normalisation(utt.text) else kept).append(utt)
    return kept, lost


def describe_lost(lost: Sequence[Utterance]) -> str:
    """How every report names utterances whose transcript is lost in normalisation: the count, the first few
    (id and transcript) and what the normaliser keeps, so that a corpus in another script learns why.

    >>> describe_lost([Utterance("zh1", "/a.wav", 1.0, "你好", "s")])
    "1 utterance whose transcript normalises to nothing or loses most of its letters (zh1 '你好'; \
the normaliser keeps only Latin letters (accents dropped), digits and apostrophes)"
    """
    shown = ", ".join(f"{u.id} {u.text[:24]!r}" for u in lost[:MAX_EXAMPLES])
    more = ", ..." if len(lost) > MAX_EXAMPLES else ""
    return (f"{len(lost)} utterance{_s(len(lost))} whose transcript normalises to nothing or loses most of its "
            f"letters ({'e.g. ' if more else ''}{shown}{more}; {NORMALISER_KEEPS})")


def _parse_object(obj: dict, where: str, base: Path) -> Utterance:
    """One manifest line's object -> Utterance, or a UserError that says where and what is wrong."""
    if "start" in obj or "end" in obj or "word" in obj:
        return _parse_segment(obj, where, base)
    missing = [key for key in FIELDS if key not in obj]
    unknown = sorted(set(obj) - set(FIELDS))
    if missing or unknown:
        raise UserError(f"{where}: expected keys {', '.join(FIELDS)}"
                        + (f"; missing {', '.join(missing)}" if missing else "")
                        + (f"; unknown {', '.join(map(repr, unknown))}" if unknown else "")
                        + (f" (or a segment's {', '.join(SEGMENT_FIELDS)})" if missing else ""))
    _check_strings(obj, ("id", "audio", "text", "speaker"), where)
    duration = _seconds(obj["duration"], "duration", where)
    return Utterance(id=obj["id"], audio=_audio_path(obj["audio"], base), duration=duration, text=obj["text"],
                     speaker=obj["speaker"])


def _parse_segment(obj: dict, where: str, base: Path) -> Utterance:
    """A segment line (id, audio, start, end, word, speaker; a duration or text is allowed and checked)."""
    missing = [key for key in SEGMENT_FIELDS if key not in obj and key != "word"]
    unknown = sorted(set(obj) - KNOWN_FIELDS)
    if missing or unknown:
        raise UserError(f"{where}: a segment needs keys {', '.join(SEGMENT_FIELDS)}"
                        + (f"; missing {', '.join(missing)}" if missing else "")
                        + (f"; unknown {', '.join(map(repr, unknown))}" if unknown else ""))
    word = obj.get("word", obj.get("text", ""))
    _check_strings({**obj, "word": word}, ("id", "audio", "word", "speaker"), where)
    start, end = _seconds(obj["start"], "start", where), _seconds(obj["end"], "end", where)
    if end <= start:
        raise UserError(f"{where}: 'end' ({end}) must be after 'start' ({start})")
    return Utterance(id=obj["id"], audio=_audio_path(obj["audio"], base), duration=end - start, text=word,
                     speaker=obj["speaker"], start=start, end=end)


def _check_strings(obj: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if not isinstance(obj[key], str):
            raise UserError(f"{where}: '{key}' must be a string")
    if not obj["id"]:
        raise UserError(f"{where}: 'id' is empty")


def _seconds(value, key: str, where: str) -> float:
    # bool is an int in Python; a duration of `true` is a bug, not one second.
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > 1e9  # JSON ints can be huge
            or not math.isfinite(value) or value < 0):
        raise UserError(f"{where}: '{key}' must be a non-negative number of seconds")
    return float(value)


def _audio_path(audio: str, base: Path) -> str:
    path = Path(audio)
    return str(path if path.is_absolute() else base / path)


# Problem kind -> how the summary names one of them, and several.
PROBLEMS = {
    "no_audio": ("transcript with no audio", "transcripts with no audio"),
    "no_text": ("audio file with no transcript", "audio files with no transcript"),
    "unreadable": ("unreadable file", "unreadable files"),
    "bad_name": ("file with an unexpected name", "files with an unexpected name"),
    "duplicate": ("duplicate utterance id", "duplicate utterance ids"),
}
MAX_EXAMPLES = 3


@dataclass
class PrepareReport:
    """What one preparation wrote, and every input it had to skip (counted, with examples)."""

    name: str  # e.g. the subset, "dev-clean-2"
    output: str = ""  # the manifest written
    written: int = 0  # utterances in the manifest
    hours: float = 0.0
    speakers: int = 0
    no_audio: int = 0  # transcript lines whose audio file is absent
    no_text: int = 0  # audio files with no (or an empty) transcript
    unreadable: int = 0  # audio (or transcript) files that could not be read; left out
    bad_name: int = 0  # files whose name does not follow the corpus's pattern
    duplicate: int = 0  # a second utterance with an id already used
    lost: list[Utterance] = field(default_factory=list)  # written, but their transcripts are lost in normalisation
    examples: dict[str, list[str]] = field(default_factory=dict)
    unreadable_files: list[str] = field(default_factory=list)  # every unreadable file, with why
    decode_audio: bool = True  # decode every file to find damaged bodies; False reads headers only

    def add_problem(self, kind: str, example: str) -> None:
        """Count one problem of ``kind`` (a key of PROBLEMS); keep the first few as examples."""
        if kind not in PROBLEMS:
            raise ValueError(f"unknown problem kind {kind!r}")
        setattr(self, kind, getattr(self, kind) + 1)
        if kind == "unreadable":
            self.unreadable_files.append(example)
        kept = self.examples.setdefault(kind, [])
        if len(kept) < MAX_EXAMPLES:
            kept.append(example)

    def duration_or_problem(self, path: Path) -> float | None:
        """The audio's duration (decoded, or from its header), or None after counting it as unreadable."""
        try:
            return (verify_audio(path) if self.decode_audio else audio_info(path)).duration
        except UserError as err:
            self.add_problem("unreadable", str(err))
            return None

    def add_written(self, output: str | Path, utterances: list[Utterance]) -> None:
        """Record the manifest that was written and what it holds."""
        self.output = str(output)
        self.written = len(utterances)
        self.hours = sum(u.duration for u in utterances) / 3600
        self.speakers = len({u.speaker for u in utterances})
        # Kept in the manifest, which records the corpus as it is (another normaliser may read them); training
        # and scoring leave them out, and the summary says so here, where a corpus in another script is met first.
        self.lost = split_lost(utterances)[1]

    @property
    def problems(self) -> int:
        """Total number of skipped inputs, all kinds together."""
        return sum(getattr(self, kind) for kind in PROBLEMS)

    def summary(self) -> str:
        """One paragraph for people: what was written, then each kind of problem with examples."""
        text = (f"{self.name}: wrote {self.written} utterance{_s(self.written)} "
                f"({self.hours:.2f} h, {self.speakers} speaker{_s(self.speakers)})")
        text += f" to {self.output}." if self.output else "."
        lost = f" Kept, but left out of training and scoring: {describe_lost(self.lost)}." if self.lost else ""
        if not self.problems:
            return text + (lost or " No problems found.")
        parts = []
        for kind, (one, several) in PROBLEMS.items():
            count = getattr(self, kind)
            if count:
                label = one if count == 1 else several
                shown = "; ".join(self.examples.get(kind, []))
                more = ", ..." if count > len(self.examples.get(kind, [])) else ""
                parts.append(f"{count} {label} (e.g. {shown}{more})")
        return text + f" Skipped {self.problems}: " + "; ".join(parts) + "." + lost


def _s(count: int) -> str:
    """Plural suffix: 1 file, 2 files."""
    return "" if count == 1 else "s"
