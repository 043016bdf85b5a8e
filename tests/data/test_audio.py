"""load_audio and audio_info on real speech: formats, channels, rates, and bad files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch

from asr.data.audio import audio_blocks, audio_info, load_audio, waveform_from_array
from asr.errors import UserError


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.fixture(scope="module")
def flac(librispeech_subset: Path) -> Path:
    return min(librispeech_subset.glob("*/*/*.flac"))


def test_native_flac_is_decoded_unchanged(flac: Path) -> None:
    wave = load_audio(flac)
    reference, rate = sf.read(flac, dtype="float32")
    assert rate == 16000
    assert wave.dtype == torch.float32 and wave.shape == (len(reference),)
    assert torch.equal(wave, torch.from_numpy(reference))
    info = audio_info(flac)
    assert info.sample_rate == 16000 and info.channels == 1
    assert info.num_samples == len(reference)
    assert info.duration == pytest.approx(len(reference) / 16000)


def test_three_channel_44k_wav_becomes_mono_16k(flac: Path, tmp_path: Path) -> None:
    original, _ = sf.read(flac, dtype="float32")
    upsampled = soxr.resample(original, 16000, 44100)
    # Channels at different gains: their mean is 0.8 x the speech.
    stereo3 = np.stack([upsampled, 0.8 * upsampled, 0.6 * upsampled], axis=1)
    path = tmp_path / "three.wav"
    sf.write(path, stereo3, 44100, subtype="PCM_16")
    assert audio_info(path).channels == 3 and audio_info(path).sample_rate == 44100

    wave = load_audio(path, 16000).numpy()
    assert wave.ndim == 1
    assert abs(len(wave) - len(original)) <= 1
    assert _correlation(wave, original) > 0.99
    # The mean of the channels, not the first channel: the level drops to 0.8.
    assert np.std(wave) == pytest.approx(0.8 * np.std(original), rel=0.02)


def test_ogg_round_trip(fsdd_recordings: Path, tmp_path: Path) -> None:
    wav = fsdd_recordings / "3_theo_7.wav"
    original, rate = sf.read(wav, dtype="float32")
    assert rate == 8000
    path = tmp_path / "three.ogg"
    sf.write(path, original, rate, format="OGG", subtype="VORBIS")

    at_8k = load_audio(path, 8000).numpy()
    assert abs(len(at_8k) - len(original)) <= 1
    assert _correlation(at_8k, original) > 0.9  # Vorbis is lossy
    at_16k = load_audio(path, 16000)
    assert abs(len(at_16k) - 2 * len(original)) <= 2
    assert audio_info(path).duration == pytest.approx(len(original) / rate, abs=1e-3)


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "missing.wav"


def _text_as_wav(tmp_path: Path) -> Path:
    path = tmp_path / "notes.wav"
    path.write_text("this is a text file, not audio\n")
    return path


def _empty_wav(tmp_path: Path) -> Path:
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.wav"
    path.mkdir()
    return path


@pytest.mark.parametrize("make, words", [
    (_missing, "no such file"),
    (_text_as_wav, "not an audio file"),
    (_empty_wav, "empty audio"),
    (_folder, "not a file"),
])
def test_bad_files_are_one_line_user_errors(make, words: str, tmp_path: Path) -> None:
    path = make(tmp_path)
    for read in (load_audio, audio_info):
        with pytest.raises(UserError) as caught:
            read(path)
        message = str(caught.value)
        assert str(path) in message and words in message
        assert "\n" not in message


def test_damaged_flac_fails_to_decode_with_a_user_error(flac: Path, tmp_path: Path) -> None:
    # The header survives truncation, so audio_info passes; decoding must fail cleanly.
    path = tmp_path / "truncated.flac"
    path.write_bytes(flac.read_bytes()[:3000])
    with pytest.raises(UserError) as caught:
        load_audio(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_blocks_join_into_what_load_audio_gives(flac: Path, tmp_path: Path) -> None:
    whole = load_audio(flac)
    blocks = list(audio_blocks(flac, 16000, block_seconds=1.0))
    assert len(blocks) == -(-len(whole) // 16000) and all(len(b) == 16000 for b in blocks[:-1])
    assert torch.equal(torch.cat(blocks), whole)  # same rate: the samples themselves
    # another rate and channel count: the streaming resampler carries its state across blocks
    original, _ = sf.read(flac, dtype="float32")
    path = tmp_path / "stereo44k.wav"
    up = soxr.resample(original, 16000, 44100)
    sf.write(path, np.stack([up, 0.5 * up], axis=1), 44100, subtype="FLOAT")
    streamed = torch.cat(list(audio_blocks(path, 16000, block_seconds=0.7)))
    at_once = load_audio(path, 16000)
    assert abs(len(streamed) - len(at_once)) <= 1
    n = min(len(streamed), len(at_once))
    assert torch.allclose(streamed[:n], at_once[:n], atol=1e-3)


def test_blocks_of_a_bad_file_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        list(audio_blocks(_missing(tmp_path)))
    with pytest.raises(UserError, match="not an audio file"):
        list(audio_blocks(_text_as_wav(tmp_path)))


def test_arrays_become_mono_waveforms_at_the_model_rate() -> None:
    stereo = np.stack([np.full(8000, 0.5), np.full(8000, 0.25)], axis=1).astype(np.float32)  # (n, channels)
    wave = waveform_from_array(stereo, 8000, 16000)
    assert wave.dtype == torch.float32 and abs(len(wave) - 16000) <= 1
    assert wave[4000:12000].mean().item() == pytest.approx(0.375, abs=1e-3)
    pcm = np.full(100, 16384, dtype=np.int16)
    assert torch.allclose(waveform_from_array(pcm, 16000, 16000), torch.full((100,), 0.5))
    assert torch.equal(waveform_from_array(torch.ones(10), 16000, 16000), torch.ones(10))
    with pytest.raises(UserError, match="1-D array"):
        waveform_from_array(np.zeros((2, 3, 4)), 16000, 16000)


def test_arrays_take_channels_on_either_side_and_pcm_at_its_scale() -> None:
    stereo = np.stack([np.full(8000, 0.5), np.full(8000, 0.25)]).astype(np.float32)  # (channels, n)
    assert torch.equal(waveform_from_array(stereo, 8000, 8000), waveform_from_array(stereo.T, 8000, 8000))
    assert torch.allclose(waveform_from_array(np.full(10, 1 << 30, np.int32), 8000, 8000), torch.full((10,), 0.5))
    assert torch.equal(waveform_from_array(torch.ones(10, dtype=torch.bfloat16), 8000, 8000), torch.ones(10))
    for bad, message in [(np.zeros((9, 9)), "ambiguous"), (np.zeros(10, np.uint8), "not uint8"),
                         (np.zeros(0), "empty array"), ([0.0] * 10, "not list"),
                         (np.array([0.0, np.inf]), "NaN or infinite")]:
        with pytest.raises(UserError, match=message):
            waveform_from_array(bad, 8000, 8000)
    for rate in (0, -1, float("nan"), float("inf"), 8000.5, 999):
        with pytest.raises(UserError, match="sample_rate must be a whole number of Hz"):
            waveform_from_array(np.zeros(10, np.float32), rate, 8000)


def test_binary_file_objects_read_as_their_file_and_are_left_where_they_stood(flac: Path) -> None:
    wave, info = load_audio(flac, 8000), audio_info(flac)
    data = io.BytesIO(flac.read_bytes())
    # each call leaves it at its start, so that the next reads the header again (transcribe reads it twice)
    assert audio_info(data) == info and data.tell() == 0
    assert torch.equal(load_audio(data, 8000), wave) and data.tell() == 0
    assert torch.allclose(torch.cat(list(audio_blocks(data, 8000, 1.0))), wave, atol=1e-4) and data.tell() == 0
    with open(flac, "rb") as f:
        assert torch.equal(load_audio(f, 8000), wave) and f.tell() == 0
    with open(flac) as text, pytest.raises(UserError, match="text file object"):
        audio_info(text)
    with pytest.raises(UserError, match="^<BytesIO>: not an audio file"):
        load_audio(io.BytesIO(b"text" * 100))
