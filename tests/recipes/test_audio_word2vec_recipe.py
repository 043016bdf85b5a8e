"""The Audio Word2Vec recipe's held-out-speakers instrument end to end on FSDD-named recordings made by
espeak-ng voices: a held-out voice's recordings are the only collection searched, vectors beside DTW."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
import soxr

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "audio_word2vec"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
VOICES = {"ann": "en-us+f2", "bob": "en+m3", "cid": "en-us+m1"}


@pytest.fixture(scope="module")
def fsdd_like(tmp_path_factory) -> Path:
    """10 digits x 6 takes x 3 voices as FSDD names them ({digit}_{speaker}_{take}.wav, 8 kHz)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (scripts/setup.sh)")
    from asr.data.synth.tts import SAMPLE_RATE, speak

    root = tmp_path_factory.mktemp("fsdd") / "recordings"
    root.mkdir()
    for speaker, voice in VOICES.items():
        for digit, word in enumerate(DIGITS):
            for take in range(6):
                audio = speak(word, voice, 140 + 8 * take, 35 + 4 * take)
                sf.write(root / f"{digit}_{speaker}_{take}.wav", soxr.resample(audio, SAMPLE_RATE, 8000), 8000)
    return root


def test_held_out_voices_are_searched_among_themselves_with_vectors_beside_dtw(fsdd_like: Path,
                                                                              tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    done = subprocess.run(["bash", str(RECIPE / "held_out.sh"), str(fsdd_like), "--minutes", "0.1",
                           "--pairs", "ann", "--exp", str(exp)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("sa", "dsa", "cae"):
        result = json.loads((exp / "ann" / f"{name}.qbe.json").read_text())
        assert result["segments"] == 60 and result["queries"] == 60  # ann's 60 recordings, nobody else's
        assert 0 <= result["methods"]["vectors"]["map"] <= 1
    assert "searched among themselves" in (exp / "ann" / "RESULTS.md").read_text()
    table = (exp / "RESULTS.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    assert {"DTW (frames)", "sa", "dsa", "cae"} <= set(rows)
    assert (exp / "ann" / "map.png").is_file()
