"""LibriSpeech preparation on the real dev-clean-2 files, damaged copies, and a local download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asr.data.audio import load_audio
from asr.data.librispeech import download_librispeech, find_subsets, prepare_librispeech
from asr.data.manifest import read_manifest
from asr.errors import UserError


def _transcripts(subset: Path) -> dict[str, str]:
    lines = (line.split(" ", 1) for trans in subset.glob("*/*/*.trans.txt")
             for line in trans.read_text().splitlines())
    return {utt_id: text for utt_id, text in lines}


def test_prepares_every_utterance_of_the_real_subset(librispeech_corpus, tmp_path: Path) -> None:
    librispeech_subset = librispeech_corpus.path
    # The parent of LibriSpeech/, as OpenSLR's archives extract.
    reports = prepare_librispeech(librispeech_subset.parents[1], tmp_path)
    assert list(reports) == ["dev-clean-2"]
    report = reports["dev-clean-2"]
    # 132 utterances of 18 speakers, or the sample's 16 of 6
    expected = (librispeech_corpus.utterances, librispeech_corpus.speakers, 0)
    assert (report.written, report.speakers, report.problems) == expected
    utterances = read_manifest(tmp_path / "dev-clean-2.jsonl")
    assert [u.id for u in utterances] == sorted(u.id for u in utterances)
    texts = _transcripts(librispeech_subset)
    for utt in utterances:
        assert utt.text == texts[utt.id]
        assert utt.speaker == utt.id.split("-")[0]
        assert Path(utt.audio).is_absolute()
        # Header durations agree with the decoded sample counts.
        assert round(utt.duration * 16000) == len(load_audio(utt.audio))


@pytest.mark.parametrize("level", ["LibriSpeech", "subset"])
def test_root_may_be_the_librispeech_folder_or_a_subset(level: str, librispeech_subset: Path) -> None:
    root = librispeech_subset.parent if level == "LibriSpeech" else librispeech_subset
    assert find_subsets(root) == {"dev-clean-2": librispeech_subset}


def test_problems_are_counted_not_fatal(librispeech_subset: Path, tmp_path: Path) -> None:
    chapters = sorted(trans.parent for trans in librispeech_subset.glob("*/*/*.trans.txt"))
    root = tmp_path / "corpus"
    for chapter in chapters[:2]:
        shutil.copytree(chapter, root / "dev-mini" / chapter.parent.name / chapter.name)
    shutil.copytree(chapters[2], root / "other" / chapters[2].parent.name / chapters[2].name)
    copied = len(list((root / "dev-mini").glob("*/*/*.flac")))
    spk, chap = chapters[0].parent.name, chapters[0].name
    where = root / "dev-mini" / spk / chap
    trans = where / f"{spk}-{chap}.trans.txt"
    some_flac = sorted(where.glob("*.flac"))[0]
    # A line with no audio, audio with no line, and a corrupt file that has a line.
    with trans.open("a") as f:
        f.write(f"{spk}-{chap}-9999 A LINE WITH NO AUDIO\n{spk}-{chap}-7777 CORRUPT\n")
    shutil.copy(some_flac, where / f"{spk}-{chap}-8888.flac")
    (where / f"{spk}-{chap}-7777.flac").write_bytes(b"fLaC" + bytes(range(256)) * 8)

    reports = prepare_librispeech(root, tmp_path / "out")
    assert sorted(reports) == ["dev-mini", "other"]
    report = reports["dev-mini"]
    assert (report.written, report.no_audio, report.no_text, report.unreadable) == (copied, 1, 1, 1)
    assert report.examples["no_audio"] == [f"{spk}-{chap}-9999"]
    assert report.examples["no_text"] == [str(where / f"{spk}-{chap}-8888.flac")]
    summary = report.summary()
    for words in ("1 transcript with no audio", "1 audio file with no transcript",
                  "1 unreadable file", "7777.flac"):
        assert words in summary
    ids = {u.id for u in read_manifest(tmp_path / "out" / "dev-mini.jsonl")}
    assert len(ids) == copied and not {f"{spk}-{chap}-{n}" for n in (7777, 8888, 9999)} & ids
    assert reports["other"].written == len(list(chapters[2].glob("*.flac")))

    only = prepare_librispeech(root, tmp_path / "out2", subsets=["other"])
    assert list(only) == ["other"]
    with pytest.raises(UserError, match="no subset nope"):
        prepare_librispeech(root, tmp_path / "out2", subsets=["nope"])


def test_missing_or_empty_root_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such folder"):
        find_subsets(tmp_path / "missing")
    (tmp_path / "empty" / "dev-clean").mkdir(parents=True)
    with pytest.raises(UserError, match="no LibriSpeech subset found"):
        prepare_librispeech(tmp_path / "empty", tmp_path / "out")


def test_download_extracts_the_openslr_layout(librispeech_archive: tuple[str, int],
                                              tmp_path: Path) -> None:
    base_url, count = librispeech_archive
    dest = tmp_path / "corpora"
    subset = download_librispeech("dev-clean-2", dest, base_url=base_url)
    assert subset == dest / "LibriSpeech" / "dev-clean-2"
    assert len(list(subset.glob("*/*/*.flac"))) == count
    assert (dest / "LibriSpeech" / "README.TXT").is_file()
    # Only the extracted corpus is left: no archive, .part file or temporary folder.
    assert sorted(p.name for p in dest.iterdir()) == ["LibriSpeech"]
    report = prepare_librispeech(dest, tmp_path / "out")["dev-clean-2"]
    assert (report.written, report.problems) == (count, 0)
    # Already there: nothing is fetched, so even an unreachable URL is fine.
    assert download_librispeech("dev-clean-2", dest, base_url="file:///nowhere") == subset


def test_download_errors_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="could not download"):
        download_librispeech("dev-clean", tmp_path, base_url=(tmp_path / "none").as_uri())
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "dev-clean.tar.gz").write_text("<html>Not Found</html>")
    with pytest.raises(UserError, match="not a tar.gz"):
        download_librispeech("dev-clean", tmp_path / "dest", base_url=(tmp_path / "site").as_uri())
    assert list((tmp_path / "dest").iterdir()) == []  # the bad .part file is removed
    with pytest.raises(UserError, match="unknown LibriSpeech subset"):
        download_librispeech("dev-dirty", tmp_path)
    with pytest.raises(UserError, match="invalid subset name"):
        download_librispeech("../etc", tmp_path, base_url="file:///x")
