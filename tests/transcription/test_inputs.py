"""What `transcribe` takes and what it refuses (asr.transcription.inputs), on the small digit model of
tests/assets/v1_model and its FSDD recordings: every mistake is one `asr.UserError` line, and a list
keeps every result and every error."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import asr
from asr.errors import TranscriptionErrors, UserError
from asr.transcription.recognizer import Recognizer

V1_ASSETS = Path(__file__).resolve().parents[1] / "assets" / "v1_model"
FIVE = V1_ASSETS / "5_nicolas_2.wav"  # the model hears "five"
RATE = 8000  # the recordings' and the model's rate


@pytest.fixture(scope="module")
def model() -> Recognizer:
    torch.set_num_threads(1)
    return asr.load_model(V1_ASSETS / "digits_v1.pt")


@pytest.fixture(scope="module")
def five() -> np.ndarray:
    samples, rate = sf.read(FIVE, dtype="float32")
    assert rate == RATE and samples.ndim == 1
    return samples


def test_the_error_to_catch_comes_from_asr_without_torch() -> None:
    code = ("import sys, asr\nfrom asr import UserError, TranscriptionErrors\n"
            "import asr.errors\nassert UserError is asr.errors.UserError and issubclass(TranscriptionErrors, UserError)\n"
            "print(sorted(m for m in ('torch', 'numpy', 'soundfile') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_a_rate_that_is_not_a_number_of_hz_is_refused_at_once() -> None:
    """NaN and infinity once kept soxr's resampler busy for ever: a subprocess, so that such a hang fails
    this test instead of stopping the suite."""
    code = (f"import asr, numpy as np\nmodel = asr.load_model({str(V1_ASSETS / 'digits_v1.pt')!r})\n"
            "for rate in (float('nan'), float('inf')):\n"
            "    try:\n        model.transcribe(np.zeros(8000, np.float32), sample_rate=rate)\n"
            "    except asr.UserError as err:\n        print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.splitlines() == [f"sample_rate must be a whole number of Hz from 1000 to 1000000, not {r}"
                                       for r in ("nan", "inf")], out.stderr[-2000:]


@pytest.mark.parametrize("rate, message", [(0, "not 0"), (-8000, "not -8000"), (8000.5, "not 8000.5"),
                                           (10**7, "not 10000000"), ("8000", "a number of Hz, not str"),
                                           (True, "a number of Hz, not bool")])
def test_a_rate_of_no_use_is_refused(model, five, rate, message) -> None:
    # 0 was taken as the model's rate
    with pytest.raises(UserError, match=f"^sample_rate must be .*{message}$"):
        model.transcribe(five, sample_rate=rate)
    with pytest.raises(UserError, match=message):  # for a list too, before anything is decoded
        model.transcribe([FIVE, five], sample_rate=rate)


def test_an_array_without_its_rate_is_refused(model, five) -> None:
    # it was taken to be at the model's rate: audio at another rate gave fluent nonsense
    for audio in (five, torch.from_numpy(five), [FIVE, five]):
        with pytest.raises(UserError, match=r"array of samples needs sample_rate="):
            model.transcribe(audio)
    assert model.transcribe(five, sample_rate=RATE).text == model.transcribe(FIVE).text == "five"


def test_channels_first_or_last_are_the_mean_of_the_channels(model, five) -> None:
    other = 0.5 * five + 0.01 * np.random.default_rng(0).standard_normal(len(five)).astype(np.float32)
    mean = model.transcribe((five + other) / 2, sample_rate=RATE)
    assert mean.text == "five"
    last = model.transcribe(np.stack([five, other], axis=1), sample_rate=RATE)  # (n, 2): as soundfile reads
    first = model.transcribe(torch.from_numpy(np.stack([five, other])), sample_rate=RATE)  # (2, n): as torchaudio
    assert first.text == last.text == mean.text and first.words == last.words == mean.words
    mono = model.transcribe(five[None], sample_rate=RATE)  # (1, n)
    assert mono.text == "five"


@pytest.mark.parametrize("shape", [(10, 10), (16, 16000), (3, 3, 3000)])
def test_a_shape_that_does_not_say_where_the_channels_are_is_refused(model, shape) -> None:
    # (16, 16000) could be a batch of 16 recordings: mixing them into one would be silent nonsense
    with pytest.raises(UserError, match=r"ambiguous|1-D array"):
        model.transcribe(np.zeros(shape, np.float32), sample_rate=RATE)


def test_audio_shorter_than_one_frame_is_refused_with_its_length(model, five, tmp_path) -> None:
    # fewer samples than one 25 ms frame ended in torch's "Expected sequence length to be larger than 0"
    with pytest.raises(UserError, match=r"^audio: too short \(1 sample at 8000 Hz, 0.1 ms\): .*at least 25 ms"):
        model.transcribe(five[:1], sample_rate=RATE)
    with pytest.raises(UserError, match=r"too short \(100 samples at 16000 Hz"):
        model.transcribe(five[:100], sample_rate=16000)
    short = tmp_path / "short.wav"
    sf.write(short, five[:150], RATE)
    with pytest.raises(UserError, match=f"^{short}: too short \\(150 samples"):
        model.transcribe(short)
    assert model.transcribe(five[:200], sample_rate=RATE).text == ""  # one frame: decoded, nothing heard


def test_nan_samples_are_refused(model, five) -> None:
    damaged = five.copy()
    damaged[100] = np.nan  # gave an empty transcript
    with pytest.raises(UserError, match="NaN or infinite samples"):
        model.transcribe(damaged, sample_rate=RATE)


def test_samples_of_a_dtype_that_does_not_say_its_scale_are_refused(model, five) -> None:
    pcm16 = np.round(five * 32767).astype(np.int16)
    assert model.transcribe(pcm16, sample_rate=RATE).text == "five"
    assert model.transcribe(pcm16.astype(np.int32) << 16, sample_rate=RATE).text == "five"
    with pytest.raises(UserError, match="float .* or int16 / int32 PCM, not int64"):
        model.transcribe(pcm16.astype(np.int64), sample_rate=RATE)


def test_binary_file_objects_give_what_their_file_gives_and_can_be_read_again(model, five) -> None:
    with open(FIVE, "rb") as f:
        assert model.transcribe(f).text == "five"
        assert f.tell() == 0 and model.transcribe(f).text == "five"  # read again: its header was put back
    data = io.BytesIO(FIVE.read_bytes())
    assert model.transcribe([data, FIVE]) == [model.transcribe(FIVE)] * 2
    with open(FIVE) as text, pytest.raises(UserError, match=r"text file object; open audio in binary mode"):
        model.transcribe(text)
    with pytest.raises(UserError, match=r"^<BytesIO>: not an audio file"):
        model.transcribe(io.BytesIO(b"not audio at all" * 10))


@pytest.mark.parametrize("audio, message", [
    (None, "^audio is None: give a path, a binary file object, or a numpy array"),
    (5, "^cannot transcribe an object of type int"),
    (b"RIFF", "^bytes are not audio: wrap a file's bytes in io.BytesIO"),
    ([0.0] * 4000, r"^a list of numbers is ambiguous .* numpy.asarray\(samples\)"),
    ((np.zeros(4000, np.float32), RATE), r"^\(samples, rate\) is two inputs"),
])
def test_what_is_not_audio_is_refused_in_one_line_naming_it(model, audio, message) -> None:
    with pytest.raises(UserError, match=message) as err:
        model.transcribe(audio, sample_rate=RATE if isinstance(audio, list) else None)
    assert "\n" not in str(err.value) and not isinstance(err.value, TranscriptionErrors)


def test_a_list_with_bad_inputs_keeps_every_result_and_every_error(model, five, tmp_path) -> None:
    inputs = [FIVE, None, five, tmp_path / "missing.wav", five[:10], [0.0, 1.0]]
    with pytest.raises(asr.UserError) as caught:  # the one type to catch, for lists too
        model.transcribe(inputs, sample_rate=RATE)
    err = caught.value
    assert isinstance(err, TranscriptionErrors) and len(err.results) == len(inputs)
    assert [r.text for r in err.results if not isinstance(r, UserError)] == ["five", "five"]
    assert [i for i, _ in err.errors] == [1, 3, 4, 5]
    assert all(isinstance(r, UserError) for _, r in err.errors)
    assert "no such file" in str(err.results[3]) and "too short" in str(err.results[4])
    assert str(err).startswith("4 of 6 inputs could not be transcribed (input 1: audio is None")
    assert "\n" not in str(err)
