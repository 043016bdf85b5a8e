"""`asr transcribe` on good and bad files in one call, folders, standard input and every output format."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import srt
import webvtt

from asr.cli.main import main

V1_MODEL = Path(__file__).parents[1] / "assets" / "v1_model" / "digits_v1.pt"
V1_WAV = V1_MODEL.parent / "5_nicolas_2.wav"


def _good_and_bad_files(fsdd_recordings: Path, tmp_path: Path) -> tuple[dict[Path, str], list[Path]]:
    """Held-out takes (0-4) as a plain 8 kHz wav, a 3-channel 44.1 kHz wav and a FLAC; three bad files."""
    good = {}
    plain = fsdd_recordings / "3_jackson_0.wav"
    good[plain] = "three"
    audio, rate = sf.read(fsdd_recordings / "8_nicolas_1.wav", dtype="float32")
    up = soxr.resample(audio, rate, 44100)
    three_channel = tmp_path / "eight_44k_3ch.wav"
    sf.write(three_channel, np.stack([up, 0.5 * up, up], axis=1), 44100)
    good[three_channel] = "eight"
    audio, rate = sf.read(fsdd_recordings / "6_yweweler_2.wav", dtype="float32")
    flac = tmp_path / "six.flac"
    sf.write(flac, audio, rate)
    good[flac] = "six"
    missing = tmp_path / "missing.wav"
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype="float32"), 16000)
    return good, [missing, text, empty]


def test_bad_files_get_one_line_each_and_good_files_are_transcribed(digit_model, fsdd_recordings, tmp_path, capsys):
    good, bad = _good_and_bad_files(fsdd_recordings, tmp_path)
    files = [bad[0], *list(good)[:2], bad[1], list(good)[2], bad[2]]
    status = main(["transcribe", "--model", str(digit_model), *map(str, files)])
    out, err = capsys.readouterr()
    assert status == 1
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 3
    for path, line in zip(bad, err_lines):
        assert line.startswith("asr: error:") and str(path) in line
    transcripts = dict(line.split("\t") for line in out.strip().splitlines())
    assert set(transcripts) == {str(p) for p in good}
    assert {p: transcripts[str(p)] for p in good} == good


def test_json_output_and_batch_independence(digit_model, fsdd_recordings, capsys):
    files = [str(fsdd_recordings / f"{d}_theo_{t}.wav") for d, t in [(0, 3), (9, 4), (5, 0)]]
    assert main(["transcribe", "--model", str(digit_model), "--json", *files]) == 0
    together = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["path"] for row in together] == files
    for row in together:
        assert main(["transcribe", "--model", str(digit_model), row["path"]]) == 0
        assert capsys.readouterr().out.strip().split("\t")[1] == row["text"]


def test_missing_model_is_a_one_line_error(tmp_path, capsys):
    assert main(["transcribe", "--model", str(tmp_path / "none.pt"), "x.wav"]) == 2
    assert capsys.readouterr().err.strip() == f"asr: error: model file not found: {tmp_path / 'none.pt'}"


def _copy_tree(fsdd_recordings: Path, root: Path) -> dict[Path, str]:
    """A folder of held-out takes, two of them in a subfolder; file -> its digit."""
    files = {}
    for i, (digit, speaker, take) in enumerate([(1, "theo", 0), (2, "jackson", 1), (7, "nicolas", 2), (4, "theo", 3)]):
        path = root / ("sub" if i >= 2 else "") / f"{digit}_{speaker}_{take}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(fsdd_recordings / path.name, path)
        files[path] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][digit]
    return files


def test_a_folder_to_subtitle_files_continues_past_bad_files_and_replaces_outputs(digit_model, fsdd_recordings,
                                                                                  tmp_path, capsys):
    files = _copy_tree(fsdd_recordings, tmp_path / "in")
    (tmp_path / "in" / "sub" / "broken.wav").write_bytes(b"RIFF not really")
    out = tmp_path / "out"
    stale = out / "sub" / "7_nicolas_2.srt"
    stale.parent.mkdir(parents=True)
    stale.write_text("stale\n")
    args = ["transcribe", "--model", str(digit_model), str(tmp_path / "in"), "--recursive", "--format", "srt",
            "--output-dir", str(out)]
    status = main(args)
    captured = capsys.readouterr()
    assert status == 1
    (error,) = captured.err.strip().splitlines()
    assert error.startswith("asr: error:") and "broken.wav" in error
    assert "transcribed 4 of 5 inputs" in captured.out
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert written == sorted(Path(str(p.relative_to(tmp_path / "in"))).with_suffix(".srt") for p in files)
    for path, digit in files.items():
        (sub,) = srt.parse((out / path.relative_to(tmp_path / "in")).with_suffix(".srt").read_text())
        assert sub.content == digit and sub.start < sub.end
    assert stale.read_text() != "stale\n"  # replaced, and no temporary file left beside it
    # without --recursive the subfolder is not read
    assert main([*args[:4], "--format", "txt", "--output-dir", str(tmp_path / "flat")]) == 0
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["1_theo_0.txt", "2_jackson_1.txt"]
    assert (tmp_path / "flat" / "1_theo_0.txt").read_text() == "one\n"


def test_standard_input_in_a_pipeline(digit_model, fsdd_recordings):
    wav = (fsdd_recordings / "3_theo_4.wav").read_bytes()
    done = subprocess.run([sys.executable, "-m", "asr.cli.main", "transcribe", "--model", str(digit_model), "-",
                           "--format", "vtt"], input=wav, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    (caption,) = webvtt.from_string(done.stdout.decode())
    assert caption.text == "three"
    done = subprocess.run([sys.executable, "-m", "asr.cli.main", "transcribe", "--model", str(digit_model), "-"],
                          input=b"not audio", capture_output=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.decode().strip() == "asr: error: -: not an audio file (format not recognised)"


def test_json_has_segments_and_timed_words(digit_model, fsdd_recordings, capsys):
    path = str(fsdd_recordings / "9_jackson_1.wav")
    assert main(["transcribe", "--model", str(digit_model), path, "--format", "json", "--token-timestamps"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["path"] == path and row["text"] == "nine" and row["segments"][0]["text"] == "nine"
    (word,) = row["words"]
    assert word["word"] == "nine" and 0 <= word["start"] < word["end"] <= row["duration"]
    assert row["tokens"][0]["token"] == "nine"


def test_one_short_file_imports_neither_lightning_nor_plotting():
    """`asr transcribe` of one file stays quick to start: only the transcribe subcommand's imports."""
    probe = ("import sys\nfrom asr.cli.main import main\n"
             f"assert main(['transcribe', '--model', {str(V1_MODEL)!r}, {str(V1_WAV)!r}]) == 0\n"
             "print(sorted(m for m in ('lightning', 'pytorch_lightning', 'matplotlib', 'numba', 'silero_vad')"
             " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [f"{V1_WAV}\tfive", "[]"]


def test_a_joint_model_times_its_words_and_characters(digit_joint_model, fsdd_recordings, capsys):
    """The joint model's beam search (attention and CTC) gives the ids; its CTC head times them."""
    path = str(fsdd_recordings / "6_nicolas_3.wav")
    assert main(["transcribe", "--model", str(digit_joint_model), path, "--format", "json", "--token-timestamps"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["text"] and [w["word"] for w in row["words"]] == row["text"].split()
    chars = [t["token"] for t in row["tokens"]]
    assert "".join(chars) == row["text"].replace(" ", "")  # one timed token per character, no separators
    times = [(t["start"], t["end"]) for t in row["tokens"]]
    assert all(0 <= start < end <= row["duration"] for start, end in times)
    assert times == sorted(times)


def test_nbest_lists_each_segments_best_readings_in_json(digit_model, fsdd_recordings, capsys):
    path = str(fsdd_recordings / "9_jackson_1.wav")
    assert main(["transcribe", "--model", str(digit_model), path, "--format", "json", "--decode", "beam",
                 "--nbest", "3"]) == 0
    (segment,) = json.loads(capsys.readouterr().out)["segments"]
    texts, scores = [a["text"] for a in segment["alternatives"]], [a["score"] for a in segment["alternatives"]]
    assert texts[0] == segment["text"] == "nine" and len(set(texts)) == 3
    assert scores == sorted(scores, reverse=True) and all(s <= 0 for s in scores)  # log-probabilities
    assert main(["transcribe", "--model", str(digit_model), path, "--format", "json"]) == 0
    assert "alternatives" not in json.loads(capsys.readouterr().out)["segments"][0]
    assert main(["transcribe", "--model", str(digit_model), path, "--nbest", "3"]) == 2
    assert capsys.readouterr().err.strip().endswith("--nbest 3 needs --decode beam")


def test_a_joint_models_nbest_and_rescoring_through_the_python_api(digit_joint_model, fsdd_recordings):
    import asr

    model = asr.load_model(digit_joint_model)
    result = model.transcribe(fsdd_recordings / "6_nicolas_3.wav", decode="beam", beam=6, nbest=4)
    (segment,) = result.segments
    assert [a.text for a in segment.alternatives][0] == result.text == "six"
    assert len(segment.alternatives) == 4 and len({a.text for a in segment.alternatives}) == 4
    assert [a.score for a in segment.alternatives] == sorted((a.score for a in segment.alternatives), reverse=True)
    # rescoring picks among the CTC beam's proposals (which need not hold the one-pass search's answer)
    rescored = model.transcribe(fsdd_recordings / "6_nicolas_3.wav", decode="rescore", beam=6, nbest=3)
    proposals = model.transcribe(fsdd_recordings / "6_nicolas_3.wav", decode="beam", ctc_weight=1.0, beam=6, nbest=6)
    (picked,) = rescored.segments
    assert picked.alternatives[0].text == rescored.text and len(picked.alternatives) == 3
    assert {a.text for a in picked.alternatives} <= {a.text for a in proposals.segments[0].alternatives}
