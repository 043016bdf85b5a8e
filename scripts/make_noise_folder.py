"""A folder of generated noise recordings in MUSAN's layout, for trying data.noise_dir where no MUSAN is at hand.

  .venv/bin/python scripts/make_noise_folder.py OUT [--seed 0] [--files 24] [--seconds 20]

Writes OUT/noise/generated/*.wav (white, pink and brown noise, mains hum with harmonics, a fan: low-passed
noise with a blade tone, clatter: decaying clicks) and OUT/music/generated/*.wav (chords of harmonic tones
changing every half second), 16 kHz. Another --seed gives other recordings of the same kinds: a test copy
noised with seed 1 holds noise a model trained with seed 0's folder has not heard.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile

RATE = 16000


def _coloured(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.normal(size=n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / RATE), 20.0)
    return np.fft.irfft(spectrum / f ** (exponent / 2), n)


def _hum(rng: np.random.Generator, n: int) -> np.ndarray:
    t, mains = np.arange(n) / RATE, rng.choice([50.0, 60.0])
    return sum(rng.uniform(0.2, 1) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.3)) for k in range(1, 8))


def _fan(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.arange(n) / RATE
    return _coloured(rng, n, 1.5) / 50 + 0.2 * np.sin(2 * np.pi * rng.uniform(80, 300) * t)


def _clatter(rng: np.random.Generator, n: int) -> np.ndarray:
    out = rng.normal(scale=0.01, size=n)
    for at in rng.integers(0, n - RATE // 4, size=int(n / RATE * rng.uniform(2, 8))):
        click = rng.normal(size=RATE // 4) * np.exp(-np.arange(RATE // 4) / rng.uniform(100, 800))
        out[at:at + RATE // 4] += click * rng.uniform(0.3, 1)
    return out


def _music(rng: np.random.Generator, n: int) -> np.ndarray:
    out, step = np.zeros(n), RATE // 2
    t = np.arange(step) / RATE
    for start in range(0, n, step):
        chord = sum(np.sin(2 * np.pi * 110 * 2 ** (rng.integers(0, 36) / 12) * k * t) / k
                    for _ in range(3) for k in (1, 2, 3))
        out[start:start + step] = (chord * np.exp(-t * rng.uniform(1, 6)))[:n - start]
    return out


KINDS = {"white": lambda rng, n: _coloured(rng, n, 0), "pink": lambda rng, n: _coloured(rng, n, 1),
         "brown": lambda rng, n: _coloured(rng, n, 2), "hum": _hum, "fan": _fan, "clatter": _clatter}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", type=int, default=24, help="recordings in all (default 24)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each (default 20)")
    args = parser.parse_args()
    rng, n = np.random.default_rng(args.seed), int(args.seconds * RATE)
    makers = [*KINDS.items(), ("music", _music)]
    for i in range(args.files):
        kind, make = makers[i % len(makers)]
        folder = args.out / ("music" if kind == "music" else "noise") / "generated"
        folder.mkdir(parents=True, exist_ok=True)
        samples = make(rng, n)
        soundfile.write(folder / f"{kind}-{args.seed}-{i:03d}.wav", (0.5 * samples / np.abs(samples).max()), RATE,
                        subtype="PCM_16")
    print(f"{args.files} recordings of {args.seconds:g} s in {args.out}")


if __name__ == "__main__":
    main()
