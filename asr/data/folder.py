"""A folder of your own recordings: ``x.wav`` (or any of AUDIO_EXTENSIONS) beside ``x.txt``, at any depth.

The utterance id is the relative path without its extension, with ``/`` turned into ``-``
(``alice/day1/greeting.wav`` -> ``alice-day1-greeting``); the speaker is the folder that holds
the file (``day1``), or ``unknown`` for files at the top. Files without a partner are counted.
"""

from __future__ import annotations

from pathlib import Path

from asr.data.audio import AUDIO_EXTENSIONS
from asr.data.manifest import PrepareReport, Utterance, write_manifest
from asr.errors import UserError


def prepare_folder(folder: Path, out_path: Path, decode_audio: bool = True) -> PrepareReport:
    """Pair audio files with same-named .txt transcripts under ``folder``; write one manifest.

    decode_audio: decode every file to leave out damaged ones (False: read headers only).

    Raises:
        UserError: ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    report = PrepareReport(name=folder.name, decode_audio=decode_audio)
    audio, texts = _find_files(folder, report)
    utterances: dict[str, Utterance] = {}
    for stem, path in sorted(audio.items()):
        utt = _utterance(folder, stem, path, texts.get(stem), report)
        if utt is None:
            continue
        if utt.id in utterances:
            # "a-b/c.wav" and "a/b-c.wav" both become "a-b-c".
            report.add_problem("duplicate", f"{path} (id {utt.id})")
            continue
        utterances[utt.id] = utt
    for stem in sorted(set(texts) - set(audio)):
        report.add_problem("no_audio", str(texts[stem]))
    ordered = sorted(utterances.values(), key=lambda u: u.id)
    write_manifest(out_path, ordered)
    report.add_written(out_path, ordered)
    return report


def _find_files(folder: Path, report: PrepareReport) -> tuple[dict[Path, Path], dict[Path, Path]]:
    """Audio files and .txt files under ``folder``, each keyed by its path without extension."""
    audio: dict[Path, Path] = {}
    texts: dict[Path, Path] = {}
    for path in sorted(folder.rglob("*")):
        suffix = path.suffix.lower()  # recorders often write X.WAV
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if hidden or not path.is_file():
            continue
        if suffix == ".txt":
            texts[path.with_suffix("")] = path
        elif suffix in AUDIO_EXTENSIONS:
            if path.with_suffix("") in audio:
                # x.wav and x.flac both beside x.txt: keep the first, and say so.
                report.add_problem("duplicate", str(path))
                continue
            audio[path.with_suffix("")] = path
    return audio, texts


def _utterance(folder: Path, stem: Path, path: Path, text_path: Path | None,
               report: PrepareReport) -> Utterance | None:
    """The utterance for one audio file, or None after counting why it cannot be used."""
    try:
        text = " ".join(text_path.read_text(encoding="utf-8").split()) if text_path else ""
    except (OSError, UnicodeDecodeError) as err:
        report.add_problem("unreadable", f"{text_path}: cannot read transcript ({err})")
        return None
    if not text:
        # No .txt, or an empty one: either way there is nothing to train on.
        report.add_problem("no_text", str(path))
        return None
    duration = report.duration_or_problem(path)
    if duration is None:
        return None
    speaker = path.parent.name if path.parent != folder else "unknown"
    return Utterance(id="-".join(stem.relative_to(folder).parts), audio=str(path.absolute()),
                     duration=duration, text=text, speaker=speaker)
