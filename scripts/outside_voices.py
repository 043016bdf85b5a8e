"""Test sentences read by voices outside the corpus: how a model trained on the mini recipe's 30 voices
reads speakers it never heard (the mini README's "six voices outside the corpus" row).

  .venv/bin/python scripts/outside_voices.py recipes/mini/data/manifests/test.jsonl --out recipes/mini/data/outside

Takes the first `--sentences` transcripts of a test manifest and has six espeak-ng voices read them in
turn: the variants Michael, m8 and Andrea, which no corpus voice uses, and Annie, linda and m7, which
training hears on other accents, all on en-us here. Each reading gets the corpus's prosody jitter and
noise floor. Writes OUT/audio/*.flac and OUT/test-outside.jsonl, a manifest for `asr evaluate`.
"""

from __future__ import annotations

import argparse
import random
import zlib
from pathlib import Path

from asr.data.manifest import Utterance, read_manifest, write_manifest
from asr.data.synth import tts
from asr.data.synth.voices import Voice

VOICES = (
    Voice(401, "en-us+Michael", "M", 48, 160), Voice(402, "en-us+m8", "M", 44, 170),
    Voice(403, "en-us+Andrea", "F", 56, 165), Voice(404, "en-us+Annie", "F", 58, 155),
    Voice(405, "en-us+linda", "F", 52, 170), Voice(406, "en-us+m7", "M", 40, 160),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", type=Path, help="the test manifest whose sentences are read")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sentences", type=int, default=120)
    args = parser.parse_args()
    texts = [u.text for u in read_manifest(args.manifest)][:args.sentences]
    (args.out / "audio").mkdir(parents=True, exist_ok=True)
    utterances = []
    for i, text in enumerate(texts):
        voice = VOICES[i % len(VOICES)]
        speed, pitch = voice.prosody(random.Random(f"outside-{i}"))
        utt_id = f"{voice.speaker}-{i:04d}"
        audio = tts.speak(text.lower(), voice.espeak, speed, pitch)
        audio = tts.add_noise_floor(audio, seed=zlib.crc32(utt_id.encode()))
        path = args.out / "audio" / f"{utt_id}.flac"
        tts.write_flac(path, audio)
        utterances.append(Utterance(utt_id, str(path.resolve()), round(len(audio) / tts.SAMPLE_RATE, 2), text,
                                    str(voice.speaker)))
    write_manifest(args.out / "test-outside.jsonl", utterances)
    print(f"{len(utterances)} utterances by {len(VOICES)} voices: {args.out / 'test-outside.jsonl'}")


if __name__ == "__main__":
    main()
