"""`asr prepare ...` through the real command-line entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asr.cli import main as cli
from asr.data.manifest import read_manifest


@pytest.fixture(autouse=True)
def only_prepare(monkeypatch: pytest.MonkeyPatch) -> None:
    # The parser imports every subcommand's module; keep this test to the one it is about.
    monkeypatch.setattr(cli, "SUBCOMMANDS", {"prepare": cli.SUBCOMMANDS["prepare"]})


def test_librispeech(librispeech_corpus, tmp_path: Path, capsys) -> None:
    code = cli.main(["prepare", "librispeech", str(librispeech_corpus.path.parents[1]),
                     "--out", str(tmp_path)])
    assert code == 0
    count = librispeech_corpus.utterances  # 132, or the sample's 16
    assert len(read_manifest(tmp_path / "dev-clean-2.jsonl")) == count
    assert f"dev-clean-2: wrote {count} utterances" in capsys.readouterr().out


@pytest.mark.parametrize("make_root", [lambda tmp: tmp / "missing",
                                       lambda tmp: tmp])
def test_librispeech_without_corpus_is_exit_2(make_root, tmp_path: Path, capsys) -> None:
    code = cli.main(["prepare", "librispeech", str(make_root(tmp_path)),
                     "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("asr: error: ") and err.count("\n") == 1


def test_librispeech_download(librispeech_archive: tuple[str, int], tmp_path: Path,
                              capsys) -> None:
    base_url, count = librispeech_archive
    code = cli.main(["prepare", "librispeech", str(tmp_path / "corpora"), "--out",
                     str(tmp_path / "out"), "--download", "dev-clean-2", "--base-url", base_url])
    assert code == 0
    assert len(read_manifest(tmp_path / "out" / "dev-clean-2.jsonl")) == count


def test_fsdd_recipe_splits(fsdd_corpus, tmp_path: Path, capsys) -> None:
    code = cli.main(["prepare", "fsdd", str(fsdd_corpus.path), "--out", str(tmp_path),
                     "--test-speakers", "theo", "--test-takes", "0-4", "--dev-takes", "5-9"])
    assert code == 0
    sizes = {path.stem: len(read_manifest(path)) for path in tmp_path.glob("*.jsonl")}
    takes = fsdd_corpus.takes  # of each digit by each speaker: 50 (2000 recordings), or the sample's 15
    assert sizes == {"all": 40 * takes, "train": 3 * 10 * (takes - 10), "dev": 150, "test_takes": 150,
                     "test_speaker": 10 * takes}
    assert capsys.readouterr().out.count("wrote") == 5


def test_fsdd_bad_takes_is_a_usage_error(fsdd_recordings: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["prepare", "fsdd", str(fsdd_recordings), "--out", str(tmp_path),
                  "--dev-takes", "9-5"])
    assert caught.value.code == 2


def test_folder(fsdd_recordings: Path, tmp_path: Path, capsys) -> None:
    shutil.copy(fsdd_recordings / "6_jackson_1.wav", tmp_path / "six.wav")
    (tmp_path / "six.txt").write_text("six")
    (tmp_path / "seven.txt").write_text("seven")
    # the good pair is written; the exit status says something was skipped
    assert cli.main(["prepare", "folder", str(tmp_path), "--out", str(tmp_path / "m.jsonl")]) == 1
    assert [u.text for u in read_manifest(tmp_path / "m.jsonl")] == ["six"]
    assert "1 transcript with no audio" in capsys.readouterr().out


def test_folder_decodes_every_file_and_names_each_damaged_one(fsdd_recordings: Path, tmp_path: Path, capsys) -> None:
    import numpy as np
    import soundfile as sf

    wave, rate = sf.read(fsdd_recordings / "6_jackson_1.wav", dtype="float32")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sf.write(corpus / "good.wav", wave, rate)
    sf.write(corpus / "cut.flac", np.tile(wave, 8), rate)  # a FLAC whose body is cut short
    data = (corpus / "cut.flac").read_bytes()
    (corpus / "cut.flac").write_bytes(data[: len(data) * 2 // 3])
    nan = wave.copy()
    nan[100] = np.nan
    sf.write(corpus / "nan.wav", nan, rate, subtype="FLOAT")
    for stem in ("good", "cut", "nan"):
        (corpus / f"{stem}.txt").write_text("six")

    assert cli.main(["prepare", "folder", str(corpus), "--out", str(tmp_path / "m.jsonl")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("asr: error: ") for line in err), err
    assert "cut.flac: cannot read audio" in err[0] and "nan.wav: NaN or infinite samples" in err[1]
    assert [u.id for u in read_manifest(tmp_path / "m.jsonl")] == ["good"]

    # headers only: fast, and blind to both
    assert cli.main(["prepare", "folder", str(corpus), "--out", str(tmp_path / "h.jsonl"), "--headers-only"]) == 0
    assert [u.id for u in read_manifest(tmp_path / "h.jsonl")] == ["cut", "good", "nan"]


def test_folder_names_transcripts_the_normaliser_loses_and_keeps_them(fsdd_recordings: Path, tmp_path: Path,
                                                                      capsys) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    transcripts = {"en": "six", "zh": "六", "he": "שש", "ru": "шесть", "mixed": "six 六六六六"}
    for stem, text in transcripts.items():
        shutil.copy(fsdd_recordings / "6_jackson_1.wav", corpus / f"{stem}.wav")
        (corpus / f"{stem}.txt").write_text(text, encoding="utf-8")

    # nothing is skipped: the manifest records the corpus as it is, so the exit status stays 0
    assert cli.main(["prepare", "folder", str(corpus), "--out", str(tmp_path / "m.jsonl")]) == 0
    assert {u.id: u.text for u in read_manifest(tmp_path / "m.jsonl")} == transcripts
    out = capsys.readouterr().out
    assert "No problems found" not in out
    assert ("Kept, but left out of training and scoring: 4 utterances whose transcript normalises to nothing or "
            "loses most of its letters (e.g. he 'שש', mixed 'six 六六六六', ru 'шесть', ...; the normaliser keeps "
            "only Latin letters") in out
    assert out.count("\n") == 1  # one paragraph, as for the other problems
