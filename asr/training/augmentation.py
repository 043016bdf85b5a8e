"""What a training read does to a waveform: speed, then a room, then noise, each as the data config asks.

Every draw comes from the read's own generator (`data.item_random`), so a run is reproducible under
its seed and a resumed one augments every item as the uninterrupted run did.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from asr.data.noise_folders import ImpulseResponses, NoiseRecordings
from asr.errors import UserError
from asr.features.augment import add_noise, change_speed, mix_at_snr
from asr.features.rooms import reverberate, room_impulse_response


@dataclass(frozen=True)
class WaveAugmentation:
    sample_rate: int
    speeds: tuple[float, ...] = ()
    noise_snr: tuple[float, float] | None = None  # dB, drawn uniformly
    noise_prob: float = 1.0
    noises: NoiseRecordings | None = None  # None: white noise
    rir_prob: float = 0.0
    rooms: ImpulseResponses | None = None  # None: simulated rooms

    @classmethod
    def from_config(cls, data, sample_rate: int) -> WaveAugmentation | None:
        """The augmentation a DataConfig asks for (None: none); folders are scanned here, once.

        Raises:
            UserError: a setting that needs another (noise_dir without noise_snr), or a folder with no audio.
        """
        if data.noise_snr and len(data.noise_snr) != 2:
            raise UserError(f"data.noise_snr is [lowest, highest] in dB, e.g. [0, 20], not {data.noise_snr}")
        if data.noise_dir and not data.noise_snr:
            raise UserError("data.noise_dir needs data.noise_snr, the range of SNRs to mix at (e.g. [0, 20])")
        if data.rir_dir and not data.rir_prob:
            raise UserError("data.rir_dir needs data.rir_prob, the share of reads played in a room (e.g. 0.5)")
        if not (data.speed_perturb or data.noise_snr or data.rir_prob):
            return None
        low, high = sorted(data.noise_snr) if data.noise_snr else (0.0, 0.0)
        return cls(sample_rate, tuple(data.speed_perturb), (low, high) if data.noise_snr else None,
                   data.noise_prob, NoiseRecordings.scan(data.noise_dir) if data.noise_dir else None,
                   data.rir_prob, ImpulseResponses.scan(data.rir_dir) if data.rir_dir else None)

    def __call__(self, wave: torch.Tensor, rng: random.Random) -> torch.Tensor:
        if self.speeds:
            wave = change_speed(wave, rng.choice(self.speeds), self.sample_rate)
        if self.rir_prob and rng.random() < self.rir_prob:
            response = (self.rooms.pick(rng, self.sample_rate) if self.rooms is not None
                        else room_impulse_response(rng, self.sample_rate))
            wave = reverberate(wave, response)
        # a probability of 1 draws nothing, so white-noise runs draw what they drew before rooms came
        if self.noise_snr and (self.noise_prob >= 1 or rng.random() < self.noise_prob):
            snr = rng.uniform(*self.noise_snr)
            if self.noises is None:
                wave = add_noise(wave, snr, torch.Generator().manual_seed(rng.getrandbits(63)))
            else:
                wave = mix_at_snr(wave, self.noises.piece(rng, len(wave), self.sample_rate), snr)
        return wave

    def describe(self) -> str:
        """One line for the training log: what each read may do."""
        parts = [f"speed {min(self.speeds)}-{max(self.speeds)}"] if self.speeds else []
        if self.rir_prob:
            rooms = f"{len(self.rooms.files)} recorded rooms" if self.rooms else "simulated rooms"
            parts.append(f"{rooms} for {self.rir_prob:.0%} of reads")
        if self.noise_snr:
            noise = f"{len(self.noises.files)} noise recordings" if self.noises else "white noise"
            parts.append(f"{noise} at {self.noise_snr[0]:g}-{self.noise_snr[1]:g} dB SNR for {self.noise_prob:.0%} "
                         "of reads")
        return "augmentation: " + ", ".join(parts)
