"""`asr qbe` end to end on eight real FSDD recordings, a time-stretched and a noisy copy of each.

The stretched copies live in one long file and are indexed by start and end, as `asr embed`
indexes word segments cut from utterances.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.cli.main import main

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "v1_model"
MODEL = ASSETS / "digits_v1.pt"
NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
GAP_S = 0.3  # silence between the stretched copies in their shared file


def _write_corpus(folder: Path) -> list[dict]:
    """Index lines (a manifest): 8 originals, 8 copies at 20 dB SNR (whole files), 8 copies stretched to 1.25x
    their length (segments of one file)."""
    import librosa

    rng = np.random.default_rng(0)
    rows, stretched, cursor = [], [], 0.0
    for wav in sorted(ASSETS.glob("*.wav")):
        digit, speaker, _ = wav.stem.split("_")
        audio, rate = sf.read(wav, dtype="float32")
        word = NAMES[int(digit)]
        rows.append({"id": wav.stem, "audio": str(wav), "duration": len(audio) / rate, "text": word,
                     "speaker": speaker})
        noise = rng.standard_normal(len(audio)).astype(np.float32) * np.sqrt(np.mean(audio ** 2) / 100)
        noisy = folder / f"{wav.stem}_noisy.wav"
        sf.write(noisy, audio + noise, rate)
        rows.append({"id": noisy.stem, "audio": noisy.name, "duration": len(audio) / rate, "text": word,
                     "speaker": "noisy"})  # a path relative to the index's folder
        slow = librosa.effects.time_stretch(audio, rate=0.8)
        rows.append({"id": f"{wav.stem}_slow", "audio": str(folder / "stretched.wav"), "start": round(cursor, 4),
                     "end": round(cursor + len(slow) / rate, 4), "word": word, "speaker": "stretched"})
        stretched += [slow, np.zeros(int(GAP_S * rate), dtype=np.float32)]
        cursor += len(slow) / rate + GAP_S
    sf.write(folder / "stretched.wav", np.concatenate(stretched), rate)
    return rows


def _word(row: dict) -> str:
    """A manifest line's word: a segment's "word", a whole file's "text"."""
    return row["word"] if "word" in row else row["text"]


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, list[dict]]:
    """(index, vectors, rows): vectors are each word's one-hot vector, so they retrieve perfectly."""
    rows = _write_corpus(tmp_path)
    index = tmp_path / "segments.jsonl"
    index.write_text("".join(json.dumps(row) + "\n" for row in rows))
    vectors = tmp_path / "segments.npy"
    np.save(vectors, np.eye(10, dtype=np.float32)[[NAMES.index(_word(row)) for row in rows]])
    return index, vectors, rows


def _table(out: str) -> dict[str, list[str]]:
    """Method name -> its row of the printed table."""
    return {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("vectors", "DTW"))}


def test_vectors_and_dtw_for_one_speakers_queries(corpus, tmp_path, capsys):
    index, vectors, rows = corpus
    results, picture = tmp_path / "out" / "results.json", tmp_path / "out" / "map.png"
    assert main(["qbe", "--vectors", str(vectors), "--index", str(index), "--queries-speaker", "theo",
                 "--dtw", str(MODEL), "--map", str(picture), "--json", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "24 segments, 8 words; 2 queries (speaker theo)"
    table = _table(out)
    assert table["vectors"][1:4] == ["1.0000", "1.0000", "2"]
    # the copies of a query's own recording are its nearest segments under DTW
    assert table["DTW"][1] == "1.0000" and table["DTW"][3] == "2"
    assert "features" in out and picture.stat().st_size > 10_000

    report = json.loads(results.read_text())
    assert report["segments"] == 24 and report["queries"] == 2 and report["queries_speakers"] == ["theo"]
    theo = [i for i, row in enumerate(rows) if row["speaker"] == "theo"]
    for name in ("vectors", "dtw"):
        method = report["methods"][name]
        assert [q["row"] for q in method["per_query"]] == theo
        assert method["queries"] == 2 and method["skipped"] == 0
        assert method["pairs"] == 24 * 23 // 2 and method["same_pairs"] == 8 * 3
    assert report["methods"]["vectors"]["map"] == 1.0
    assert report["methods"]["dtw"]["map"] == 1.0
    assert report["methods"]["dtw"]["search_seconds"] > 0 and report["methods"]["dtw"]["feature_seconds"] > 0
    # DTW's same-different AP: all 276 pairs, the 24 same-word ones mostly copies of one recording
    assert report["methods"]["dtw"]["same_different_ap"] > 0.5


def test_every_segment_a_query_and_a_word_with_no_other_segment(corpus, tmp_path, capsys):
    index, _, rows = corpus
    # one more segment, a word of its own: it cannot be scored as a query, but it is still searched
    rows.append({**rows[0], "id": "extra", "text": "hello"})
    index.write_text("".join(json.dumps(row) + "\n" for row in rows))
    vectors = tmp_path / "noisy_vectors.npy"
    rng = np.random.default_rng(1)
    words = [_word(row) for row in rows]
    np.save(vectors, np.eye(11)[[sorted(set(words)).index(w) for w in words]] + 0.1 * rng.standard_normal((25, 11)))
    assert main(["qbe", "--vectors", str(vectors), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "25 segments, 9 words; 25 queries" in out
    assert _table(out)["vectors"][3] == "24"
    assert "1 query skipped: no other segment has the same word" in out


def _rows_without_words(rows):
    return [{**row, ("word" if "word" in row else "text"): ""} for row in rows]


@pytest.mark.parametrize("mistake, expected", [
    ("missing index", "no such segment index"),
    ("rows differ", "has 24 rows but the index has 23 segments"),
    ("no words", "no segment has a word label"),
    ("missing audio", "no such file"),
    ("unknown speaker", "no segment of speaker bob"),
    ("nothing to do", "nothing to evaluate"),
])
def test_mistakes_are_one_line_errors(corpus, tmp_path, capsys, mistake, expected):
    index, vectors, rows = corpus
    args = ["qbe", "--vectors", str(vectors), "--index", str(index)]
    if mistake == "missing index":
        args[4] = str(tmp_path / "nope.jsonl")
    elif mistake == "rows differ":
        index.write_text("".join(json.dumps(row) + "\n" for row in rows[:-1]))
    elif mistake == "no words":
        index.write_text("".join(json.dumps(row) + "\n" for row in _rows_without_words(rows)))
    elif mistake == "missing audio":
        rows[5]["audio"] = str(tmp_path / "gone.wav")
        index.write_text("".join(json.dumps(row) + "\n" for row in rows))
        args += ["--dtw", str(MODEL)]
    elif mistake == "unknown speaker":
        args += ["--queries-speaker", "bob"]
    elif mistake == "nothing to do":
        args = ["qbe", "--index", str(index)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("asr: error:") and expected in err
