"""A folder of recordings with .txt transcripts: pairing, ids, speakers, and leftovers."""

from __future__ import annotations

import shutil
from pathlib import Path

import soundfile as sf

from asr.data.folder import prepare_folder
from asr.data.manifest import read_manifest


def test_pairs_audio_with_transcripts(fsdd_recordings: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "alice" / "day1").mkdir(parents=True)
    (corpus / "bob").mkdir()
    shutil.copy(fsdd_recordings / "1_theo_0.wav", corpus / "alice" / "day1" / "one.wav")
    (corpus / "alice" / "day1" / "one.txt").write_text("One\n")
    wave, rate = sf.read(fsdd_recordings / "2_theo_0.wav")
    sf.write(corpus / "bob" / "two.flac", wave, rate)
    (corpus / "bob" / "two.txt").write_text("two  words\nover lines\n")
    sf.write(corpus / "top.ogg", wave, rate, format="OGG", subtype="VORBIS")
    (corpus / "top.txt").write_text("top")
    # Leftovers: audio with no text, audio with an empty text, text with no audio, bad audio.
    shutil.copy(fsdd_recordings / "3_theo_0.wav", corpus / "bob" / "lonely.wav")
    shutil.copy(fsdd_recordings / "4_theo_0.wav", corpus / "bob" / "blank.wav")
    (corpus / "bob" / "blank.txt").write_text("  \n")
    (corpus / "bob" / "orphan.txt").write_text("no audio for this")
    (corpus / "bob" / "broken.wav").write_bytes(b"RIFF" + b"\0" * 40)
    (corpus / "bob" / "broken.txt").write_text("broken")

    report = prepare_folder(corpus, tmp_path / "manifest.jsonl")
    assert (report.written, report.no_text, report.no_audio, report.unreadable) == (3, 2, 1, 1)
    assert report.examples["no_audio"] == [str(corpus / "bob" / "orphan.txt")]
    manifest = read_manifest(tmp_path / "manifest.jsonl")
    assert [(u.id, u.speaker, u.text) for u in manifest] == [
        ("alice-day1-one", "day1", "One"),
        ("bob-two", "bob", "two words over lines"),
        ("top", "unknown", "top"),
    ]
    assert manifest[0].duration == sf.info(fsdd_recordings / "1_theo_0.wav").duration


def test_two_audio_files_for_one_transcript_are_reported(fsdd_recordings: Path,
                                                         tmp_path: Path) -> None:
    shutil.copy(fsdd_recordings / "5_theo_0.wav", tmp_path / "x.wav")
    wave, rate = sf.read(fsdd_recordings / "5_theo_0.wav")
    sf.write(tmp_path / "x.flac", wave, rate)
    (tmp_path / "x.txt").write_text("five")
    report = prepare_folder(tmp_path, tmp_path / "out.jsonl")
    assert (report.written, report.duplicate) == (1, 1)
    assert read_manifest(tmp_path / "out.jsonl")[0].audio == str(tmp_path / "x.flac")
