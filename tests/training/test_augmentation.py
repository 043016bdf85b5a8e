"""What a training read does to its audio (data.speed_perturb, noise_snr, noise_dir, noise_prob, rir_dir,
rir_prob): on a real recording, with noise and rooms made at test time."""

import random

import numpy as np
import pytest
import soundfile
import torch

from asr.data.audio import load_audio
from asr.data.manifest import Utterance
from asr.errors import UserError
from asr.training.augmentation import WaveAugmentation
from asr.training.config import DataConfig
from asr.training.data import Example, SpeechDataset


def _snr(clean: torch.Tensor, noisy: torch.Tensor) -> float:
    return float(10 * torch.log10(clean.pow(2).mean() / (noisy - clean).pow(2).mean()))


@pytest.fixture
def hum_folder(tmp_path):
    """A noise folder of one recording: a 50 Hz hum with harmonics, 3 s at 16 kHz (resampled when read)."""
    t = np.arange(48000) / 16000
    hum = sum(0.1 / k * np.sin(2 * np.pi * 50 * k * t) for k in range(1, 6)).astype(np.float32)
    (tmp_path / "noise" / "hum").mkdir(parents=True)
    soundfile.write(tmp_path / "noise" / "hum" / "hum.wav", hum, 16000)
    return tmp_path / "noise"


def test_recorded_noise_is_mixed_at_the_snr_drawn(fsdd_recordings, hum_folder):
    wave = load_audio(fsdd_recordings / "5_theo_9.wav", 8000)
    augment = WaveAugmentation.from_config(DataConfig(noise_snr=[5, 5], noise_dir=str(hum_folder)), 8000)
    noisy = augment(wave, random.Random(0))
    assert noisy.shape == wave.shape and abs(_snr(wave, noisy) - 5.0) < 0.01
    spectrum = torch.fft.rfft(noisy - wave).abs()  # what was added is the hum: its energy at 50 Hz multiples
    assert spectrum.argmax() * 8000 / len(wave) == pytest.approx(50, abs=2)
    assert "1 noise recordings at 5-5 dB SNR for 100% of reads" in augment.describe()


def test_noise_prob_adds_noise_to_that_share_of_reads_and_a_room_to_rir_prob(fsdd_recordings, hum_folder):
    wave = load_audio(fsdd_recordings / "5_theo_9.wav", 8000)
    augment = WaveAugmentation.from_config(DataConfig(noise_snr=[0, 20], noise_dir=str(hum_folder),
                                                      noise_prob=0.3, rir_prob=0.6), 8000)
    outputs = [augment(wave, random.Random(i)) for i in range(200)]
    unchanged = sum(torch.equal(o, wave) for o in outputs)
    assert 0.2 < unchanged / 200 < 0.36  # neither noise (0.7) nor room (0.4): 0.28 expected
    assert "simulated rooms for 60% of reads" in augment.describe()


def test_recorded_rooms_are_used_when_given(fsdd_recordings, tmp_path):
    response = np.zeros(400, dtype=np.float32)
    response[[40, 200]] = [1.0, 0.5]  # the direct path and one echo 20 ms later
    soundfile.write(tmp_path / "echo_rir.wav", response, 8000)
    wave = load_audio(fsdd_recordings / "5_theo_9.wav", 8000)
    augment = WaveAugmentation.from_config(DataConfig(rir_dir=str(tmp_path), rir_prob=1.0), 8000)
    wet = augment(wave, random.Random(0))
    expected = wave + 0.5 * torch.nn.functional.pad(wave, (160, 0))[:len(wave)]
    assert torch.allclose(wet, expected * (wave.pow(2).mean() / expected.pow(2).mean()).sqrt(), atol=1e-5)


def test_a_read_augments_the_same_for_the_same_seed_epoch_and_item(fsdd_recordings, hum_folder):
    utt = Utterance("x", str(fsdd_recordings / "5_theo_9.wav"), 0.5, "five", "theo")
    augment = WaveAugmentation.from_config(DataConfig(speed_perturb=[0.9, 1.1], noise_snr=[0, 20],
                                                      noise_dir=str(hum_folder), rir_prob=0.5), 8000)
    dataset = SpeechDataset([Example(utt, [1])], 8000, augment, seed=4)
    reads = [dataset[(epoch, 0)][0] for epoch in (0, 1, 2, 0)]
    assert torch.equal(reads[0], reads[3]) and not torch.equal(reads[0], reads[1])


@pytest.mark.parametrize("settings, message", [
    ({"noise_dir": "x"}, "data.noise_dir needs data.noise_snr"),
    ({"rir_dir": "x"}, "data.rir_dir needs data.rir_prob"),
    ({"noise_snr": [10]}, r"data.noise_snr is \[lowest, highest\] in dB"),
    ({"noise_snr": [0, 10], "noise_dir": "/no/such/folder"}, "data.noise_dir: no such folder: /no/such/folder"),
])
def test_settings_that_cannot_work_are_refused_in_one_line(settings, message):
    with pytest.raises(UserError, match=message):
        WaveAugmentation.from_config(DataConfig(**settings), 16000)


def test_no_augmentation_asked_is_none():
    assert WaveAugmentation.from_config(DataConfig(), 16000) is None
