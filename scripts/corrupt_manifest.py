"""A noisy, reverberant copy of a manifest's audio, to score a model on speech in rooms and noise.

  .venv/bin/python scripts/corrupt_manifest.py test.jsonl --out DIR [--noise-dir D] [--snr 0 20] [--rir-prob 1]

Each utterance is played in a simulated room (or one from --rir-dir) with probability --rir-prob, then mixed
with noise (from --noise-dir, else white) at an SNR drawn uniformly from --snr, with the training
augmentation's own code (asr.training.augmentation) and a generator seeded by --seed and the utterance id,
so a copy is the same on every machine. Writes DIR/audio/ID.flac and DIR/NAME.jsonl (same ids and text).
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from pathlib import Path

import soundfile
from tqdm import tqdm

from asr.data.audio import audio_info, load_audio
from asr.data.manifest import read_manifest, write_manifest
from asr.training.augmentation import WaveAugmentation
from asr.training.config import DataConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--noise-dir", default="", help="noise recordings (default: white noise)")
    parser.add_argument("--snr", type=float, nargs=2, default=[0.0, 20.0], metavar=("LOW", "HIGH"))
    parser.add_argument("--rir-dir", default="", help="room impulse responses (default: simulated rooms)")
    parser.add_argument("--rir-prob", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = DataConfig(noise_snr=args.snr, noise_dir=args.noise_dir, rir_dir=args.rir_dir, rir_prob=args.rir_prob)
    (args.out / "audio").mkdir(parents=True, exist_ok=True)
    copies, augments = [], {}
    for utt in tqdm(read_manifest(args.manifest), desc="corrupting", unit="utt"):
        rate = audio_info(utt.audio).sample_rate
        augment = augments.setdefault(rate, WaveAugmentation.from_config(data, rate))
        wave = augment(load_audio(utt.audio, rate, utt.start, utt.end), random.Random(f"{args.seed}:{utt.id}"))
        path = args.out / "audio" / f"{utt.id}.flac"
        peak = float(wave.abs().max())
        soundfile.write(path, (wave / peak * 0.9 if peak > 0.99 else wave).numpy(), rate)
        copies.append(replace(utt, audio=str(path.resolve()), duration=len(wave) / rate, start=0.0, end=None))
    write_manifest(args.out / args.manifest.name, copies)
    print(f"{len(copies)} utterances in {args.out / args.manifest.name}")


if __name__ == "__main__":
    main()
